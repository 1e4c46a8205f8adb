/**
 * Token buckets: `rate` tokens per second up to `burst`. `TokenBucket` limits one
 * signaling socket's messages; `TokenBuckets` keeps one bucket per key (new signaling
 * sockets per client address) in a bounded map. Pure apart from the injected clock, so
 * tests drive time.
 */
export interface TokenBucketOptions {
  readonly ratePerSecond: number
  readonly burst: number
  readonly now?: () => number
  /** Called each time a take is refused (metrics); never on the success path. */
  readonly onEmpty?: () => void
}

function checkRate(ratePerSecond: number, burst: number): void {
  if (!(ratePerSecond > 0) || !(burst >= 1)) throw new RangeError('token bucket needs a positive rate and a burst of at least 1')
}

export class TokenBucket {
  readonly #rate: number
  readonly #burst: number
  readonly #now: () => number
  readonly #onEmpty: (() => void) | undefined
  #tokens: number
  #last: number

  constructor(options: TokenBucketOptions) {
    checkRate(options.ratePerSecond, options.burst)
    this.#rate = options.ratePerSecond
    this.#burst = options.burst
    this.#now = options.now ?? Date.now
    this.#onEmpty = options.onEmpty
    this.#tokens = options.burst
    this.#last = this.#now()
  }

  /** Takes one token; false when the bucket is empty. */
  take(): boolean {
    const now = this.#now()
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) / 1000) * this.#rate)
    this.#last = now
    if (this.#tokens < 1) {
      this.#onEmpty?.()
      return false
    }
    this.#tokens -= 1
    return true
  }
}

export interface TokenBucketsOptions {
  readonly now?: () => number
  /**
   * Most keys held; past it the least recently used key is forgotten (its next take
   * starts from a full bucket). Bounds memory whatever the number of client addresses.
   */
  readonly maxKeys?: number
}

interface Bucket {
  tokens: number
  last: number
}

export class TokenBuckets {
  readonly #now: () => number
  readonly #maxKeys: number
  /** Insertion order is recency order: a take moves its key to the end. */
  readonly #buckets = new Map<string, Bucket>()

  constructor(options: TokenBucketsOptions = {}) {
    this.#now = options.now ?? Date.now
    this.#maxKeys = options.maxKeys ?? 10_000
    if (!(this.#maxKeys >= 1)) throw new RangeError('maxKeys must be at least 1')
  }

  get size(): number {
    return this.#buckets.size
  }

  /** Takes one token from `key`'s bucket at the rate and burst given now (they follow config reloads). */
  take(key: string, ratePerSecond: number, burst: number): boolean {
    checkRate(ratePerSecond, burst)
    const now = this.#now()
    const bucket = this.#buckets.get(key) ?? { tokens: burst, last: now }
    this.#buckets.delete(key)
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.last) / 1000) * ratePerSecond)
    bucket.last = now
    this.#buckets.set(key, bucket)
    if (this.#buckets.size > this.#maxKeys) this.#buckets.delete(this.#buckets.keys().next().value!)
    if (bucket.tokens < 1) return false
    bucket.tokens -= 1
    return true
  }
}
