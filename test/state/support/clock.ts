/** A clock tests move by hand. */
export class ManualClock {
  #t: number
  constructor(start = 1_800_000_000_000) {
    this.#t = start
  }
  readonly now = (): number => this.#t
  advance(ms: number): void {
    this.#t += ms
  }
}
