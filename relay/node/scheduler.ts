/**
 * Turns the server's `schedule` actions into one timer: only the earliest pending
 * wake-up is armed. The timer is unref'd so it never keeps the process alive.
 */
export class Scheduler {
  #timer: NodeJS.Timeout | undefined
  #at = Infinity
  #closed = false
  readonly #fire: () => void
  readonly #now: () => number

  constructor(fire: () => void, now: () => number) {
    this.#fire = fire
    this.#now = now
  }

  at(when: number): void {
    if (this.#closed || when >= this.#at) return
    if (this.#timer) clearTimeout(this.#timer)
    this.#at = when
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.#at = Infinity
      this.#fire()
    }, Math.max(0, when - this.#now()))
    this.#timer.unref()
  }

  close(): void {
    this.#closed = true
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = undefined
  }
}
