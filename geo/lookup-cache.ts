/**
 * A bounded cache for hot addresses with near-LRU eviction at the cost of one Map read
 * per hit: two generations, each at most half the capacity. New entries go to the young
 * generation; when it fills it becomes the old one and the previous old generation is
 * dropped whole. A hit in the old generation is copied to the young one, so anything used
 * within the last `capacity / 2` insertions survives a rotation. (A strict LRU needs a
 * delete + set on every hit, roughly three times the work, for no benefit here.)
 */
export class LookupCache<V> {
  #young = new Map<string, V>()
  #old = new Map<string, V>()
  readonly #half: number

  constructor(capacity: number) {
    if (!(capacity >= 2)) throw new RangeError('cache capacity must be at least 2')
    this.#half = Math.floor(capacity / 2)
  }

  get(key: string): V | undefined {
    const v = this.#young.get(key)
    if (v !== undefined) return v
    const o = this.#old.get(key)
    if (o !== undefined) this.set(key, o)
    return o
  }

  set(key: string, value: V): void {
    if (this.#young.size >= this.#half) {
      this.#old = this.#young
      this.#young = new Map()
    }
    this.#young.set(key, value)
  }

  clear(): void {
    this.#young = new Map()
    this.#old = new Map()
  }

  /** Entries held (an upper bound on distinct keys: a promoted key may sit in both generations). */
  get size(): number {
    return this.#young.size + this.#old.size
  }
}
