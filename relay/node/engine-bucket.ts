/**
 * An allocation's bandwidth limit kept by the native engine: the TypeScript server's
 * packets (Send/Data indications, TCP clients) take their bytes from the same token bucket
 * the engine forwards ChannelData with, so an allocation mixing both gets its limit once,
 * not twice. When the engine no longer knows the allocation (closed, or the engine shut
 * down) the allocation's own bucket answers.
 */
import type { NativeEngine } from '../native/index.js'
import type { BandwidthBucket } from '../server/token-bucket.js'

export class EngineBucket implements BandwidthBucket {
  readonly #engine: Pick<NativeEngine, 'takeTokens'>
  readonly #id: number
  readonly #fallback: BandwidthBucket

  constructor(engine: Pick<NativeEngine, 'takeTokens'>, allocationId: number, fallback: BandwidthBucket) {
    this.#engine = engine
    this.#id = allocationId
    this.#fallback = fallback
  }

  take(bytes: number, now: number): boolean {
    const r = this.#engine.takeTokens(this.#id, bytes)
    return r < 0 ? this.#fallback.take(bytes, now) : r === 1
  }
}
