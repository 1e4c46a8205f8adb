/**
 * Per-allocation bandwidth limit. A classic token bucket measured in bytes, refilled
 * lazily from an injected clock so the hot path does one subtraction and no timers.
 * Packets that do not fit are dropped (media prefers loss to queueing delay).
 */
/** What the server draws on per relayed datagram: a TokenBucket, or one a data plane keeps elsewhere. */
export interface BandwidthBucket {
  /** Takes `bytes` tokens if available; returns false (and takes nothing) otherwise. */
  take(bytes: number, now: number): boolean
}

export class TokenBucket implements BandwidthBucket {
  #tokens: number
  #last: number
  readonly rate: number
  readonly burst: number

  /** rate in bytes per second; burst defaults to one second's worth. */
  constructor(rate: number, now: number, burst = rate) {
    this.rate = rate
    this.burst = burst
    this.#tokens = burst
    this.#last = now
  }

  /** Takes `bytes` tokens if available; returns false (and takes nothing) otherwise. */
  take(bytes: number, now: number): boolean {
    if (now > this.#last) {
      this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) * this.rate) / 1000)
      this.#last = now
    }
    if (this.#tokens < bytes) return false
    this.#tokens -= bytes
    return true
  }

  get tokens(): number {
    return this.#tokens
  }
}
