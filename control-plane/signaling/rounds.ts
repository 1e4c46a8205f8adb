/**
 * Periodic rounds that never overlap: what the presence keeper (lease renewal) and the
 * relay watch (fleet reads for failover) both run. A round started while one is under way
 * joins it; close() stops the timer and waits for the round under way.
 */
export class Rounds {
  readonly intervalMs: number
  readonly #round: () => Promise<void>
  #timer: NodeJS.Timeout | undefined
  #running: Promise<void> | undefined
  #closed = false

  constructor(intervalMs: number, round: () => Promise<void>) {
    this.intervalMs = intervalMs
    this.#round = round
  }

  get closed(): boolean {
    return this.#closed
  }

  /** Starts the timer (unref'd: rounds never keep a process alive). Idempotent; not after close. */
  start(): void {
    if (this.#timer || this.#closed) return
    this.#timer = setInterval(() => void this.tick(), this.intervalMs)
    this.#timer.unref()
  }

  /** One round now, or the one under way. */
  tick(): Promise<void> {
    this.#running ??= this.#round().finally(() => { this.#running = undefined })
    return this.#running
  }

  /** Idempotent. */
  async close(): Promise<void> {
    this.#closed = true
    clearInterval(this.#timer)
    this.#timer = undefined
    await this.#running
  }
}
