/**
 * A token bucket (per signaling socket): `rate` tokens per second up to `burst`.
 * Pure apart from the injected clock, so tests drive time.
 */
export interface TokenBucketOptions {
  readonly ratePerSecond: number
  readonly burst: number
  readonly now?: () => number
}

export class TokenBucket {
  readonly #rate: number
  readonly #burst: number
  readonly #now: () => number
  #tokens: number
  #last: number

  constructor(options: TokenBucketOptions) {
    if (!(options.ratePerSecond > 0) || !(options.burst >= 1)) throw new RangeError('token bucket needs a positive rate and a burst of at least 1')
    this.#rate = options.ratePerSecond
    this.#burst = options.burst
    this.#now = options.now ?? Date.now
    this.#tokens = options.burst
    this.#last = this.#now()
  }

  /** Takes one token; false when the bucket is empty. */
  take(): boolean {
    const now = this.#now()
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) / 1000) * this.#rate)
    this.#last = now
    if (this.#tokens < 1) return false
    this.#tokens -= 1
    return true
  }
}
