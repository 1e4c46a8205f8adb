/**
 * Relayed-transport ports (RFC 8656 §7.2: the server chooses the relayed port, and
 * SHOULD pick it randomly from its range to make guessing harder — §19.1.2 of the
 * security considerations). The pool is sans-IO: it proposes free ports; the socket
 * layer tries to bind and reports back whether the kernel agreed.
 *
 * A port the kernel refused is held by a socket that is not ours (most often another
 * process's ephemeral port, when the range overlaps the kernel's ip_local_port_range):
 * it stays out of the choice for a while instead of being proposed again at once, and
 * returns to the pool afterwards, so the range is not leaked away.
 */
import { RelayError } from '../errors.js'

/** How long a refused port stays out of the choice (ms). */
export const REFUSED_PORT_MS = 60_000

export class PortPool {
  readonly min: number
  readonly max: number
  readonly #used = new Set<number>()
  /** Refused ports (also in #used) → when they may be proposed again. */
  readonly #refused = new Map<number, number>()
  readonly #random: () => number
  readonly #now: () => number

  constructor(min: number, max: number, random: () => number = Math.random, now: () => number = Date.now) {
    if (!(Number.isInteger(min) && Number.isInteger(max) && min >= 1 && max <= 65535 && min <= max)) {
      throw new RelayError('ERR_RELAY_SETUP', `invalid relay port range ${min}-${max}`)
    }
    this.min = min
    this.max = max
    this.#random = random
    this.#now = now
  }

  get size(): number {
    return this.max - this.min + 1
  }

  /** Ports held by our allocations (refused ones not counted). */
  get inUse(): number {
    return this.#used.size - this.#refused.size
  }

  /** Ports kept out of the choice because the kernel refused them recently. */
  get refusedCount(): number {
    return this.#refused.size
  }

  /**
   * A free port, starting from a random point and walking up (with wrap-around), or
   * undefined when every port of the range is taken. EVEN-PORT (§7.2 step 6) asks
   * for an even one. A refused port whose time is up counts as free.
   */
  acquire(even = false): number | undefined {
    const size = this.size
    const start = Math.floor(this.#random() * size)
    let now: number | undefined
    for (let i = 0; i < size; i++) {
      const port = this.min + ((start + i) % size)
      if (even && port % 2 !== 0) continue
      if (!this.#used.has(port)) {
        this.#used.add(port)
        return port
      }
      const until = this.#refused.get(port)
      if (until !== undefined && until <= (now ??= this.#now())) {
        this.#refused.delete(port) // stays in #used: ours now
        return port
      }
    }
    return undefined
  }

  /** Marks a specific port taken (e.g. the kernel said EADDRINUSE for it; keep it out). */
  reserve(port: number): void {
    this.#used.add(port)
  }

  /**
   * The kernel refused a port this pool proposed: someone else holds it. It is not
   * proposed again for REFUSED_PORT_MS.
   */
  refuse(port: number): void {
    this.#used.add(port)
    this.#refused.set(port, this.#now() + REFUSED_PORT_MS)
  }

  release(port: number): void {
    this.#used.delete(port)
    this.#refused.delete(port)
  }
}
