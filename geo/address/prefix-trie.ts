/**
 * A binary trie over address bits with longest-prefix match, one per family. Nodes live
 * in flat typed arrays (no object per node), so a lookup is at most 32 or 128 array reads
 * and stops as soon as the path runs out — with a handful of operator prefixes that is a
 * few steps.
 */
import type { IpFamily } from './ip-address.js'

export class PrefixTrie<V> {
  // node i: children at left[i] / right[i] (0 = none; node 0 is the root and never a child)
  #left = new Int32Array(64)
  #right = new Int32Array(64)
  // index into #values + 1; 0 = no value at this node
  #value = new Int32Array(64)
  #values: V[] = []
  #nodes = 1
  readonly family: IpFamily
  readonly bits: number

  constructor(family: IpFamily) {
    this.family = family
    this.bits = family === 4 ? 32 : 128
  }

  get size(): number {
    return this.#values.length
  }

  /** Sets the value for a prefix; returns the value it replaced, if any. */
  insert(bytes: Uint8Array, prefix: number, value: V): V | undefined {
    let node = 0
    for (let bit = 0; bit < prefix; bit++) {
      const right = (bytes[bit >> 3]! >> (7 - (bit & 7))) & 1
      const children = right ? this.#right : this.#left
      let next = children[node]!
      if (next === 0) {
        next = this.#grow()
        ;(right ? this.#right : this.#left)[node] = next
      }
      node = next
    }
    const existing = this.#value[node]!
    if (existing !== 0) {
      const old = this.#values[existing - 1]
      this.#values[existing - 1] = value
      return old
    }
    this.#values.push(value)
    this.#value[node] = this.#values.length
    return undefined
  }

  /** The value of the longest prefix covering the address in bytes[0..bits/8), or undefined. */
  match(bytes: Uint8Array): V | undefined {
    let node = 0
    let found = this.#value[0]!
    const left = this.#left
    const right = this.#right
    const values = this.#value
    for (let bit = 0; bit < this.bits; bit++) {
      node = ((bytes[bit >> 3]! >> (7 - (bit & 7))) & 1) ? right[node]! : left[node]!
      if (node === 0) break
      const v = values[node]!
      if (v !== 0) found = v
    }
    return found === 0 ? undefined : this.#values[found - 1]
  }

  #grow(): number {
    if (this.#nodes === this.#left.length) {
      const size = this.#left.length * 2
      const grow = (a: Int32Array) => {
        const b = new Int32Array(size)
        b.set(a)
        return b
      }
      this.#left = grow(this.#left)
      this.#right = grow(this.#right)
      this.#value = grow(this.#value)
    }
    return this.#nodes++
  }
}
