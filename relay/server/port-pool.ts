/**
 * Relayed-transport ports (RFC 8656 §7.2: the server chooses the relayed port, and
 * SHOULD pick it randomly from its range to make guessing harder — §19.1.2 of the
 * security considerations). The pool is sans-IO: it proposes free ports; the socket
 * layer tries to bind and reports back whether the kernel agreed.
 */
import { RelayError } from '../errors.js'

export class PortPool {
  readonly min: number
  readonly max: number
  readonly #used = new Set<number>()
  readonly #random: () => number

  constructor(min: number, max: number, random: () => number = Math.random) {
    if (!(Number.isInteger(min) && Number.isInteger(max) && min >= 1 && max <= 65535 && min <= max)) {
      throw new RelayError('ERR_RELAY_SETUP', `invalid relay port range ${min}-${max}`)
    }
    this.min = min
    this.max = max
    this.#random = random
  }

  get size(): number {
    return this.max - this.min + 1
  }

  get inUse(): number {
    return this.#used.size
  }

  /**
   * A free port, starting from a random point and walking up (with wrap-around), or
   * undefined when every port of the range is taken. EVEN-PORT (§7.2 step 6) asks
   * for an even one.
   */
  acquire(even = false): number | undefined {
    const size = this.size
    const start = Math.floor(this.#random() * size)
    for (let i = 0; i < size; i++) {
      const port = this.min + ((start + i) % size)
      if (even && port % 2 !== 0) continue
      if (!this.#used.has(port)) {
        this.#used.add(port)
        return port
      }
    }
    return undefined
  }

  /** Marks a specific port taken (e.g. the kernel said EADDRINUSE for it; keep it out). */
  reserve(port: number): void {
    this.#used.add(port)
  }

  release(port: number): void {
    this.#used.delete(port)
  }
}
