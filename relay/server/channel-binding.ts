/**
 * Channel bindings (RFC 8656 §12): a channel number 0x4000–0x7FFF bound to one peer
 * transport address for 600 seconds. Each allocation indexes bindings both ways —
 * by number for ChannelData from the client (the fast path), and by peer port then
 * address for data arriving from the peer — so both directions are Map lookups that
 * build no strings. The maps are created on first bind: most idle allocations have none.
 */
import type { TransportAddress } from './five-tuple.js'

export const CHANNEL_BIND_LIFETIME_MS = 600_000

export interface ChannelBinding {
  readonly number: number
  readonly peer: TransportAddress
  expiresAt: number
}

const EMPTY: ReadonlyMap<number, ChannelBinding> = new Map()

export class ChannelTable {
  #byNumber: Map<number, ChannelBinding> | undefined
  #byPeer: Map<number, Map<string, ChannelBinding>> | undefined

  get size(): number {
    return this.#byNumber?.size ?? 0
  }

  byNumber(number: number): ChannelBinding | undefined {
    return this.#byNumber?.get(number)
  }

  /** Every binding, expired or not (the native data plane mirrors them). */
  values(): IterableIterator<ChannelBinding> {
    return (this.#byNumber ?? EMPTY).values()
  }

  lookupPeer(address: string, port: number): ChannelBinding | undefined {
    return this.#byPeer?.get(port)?.get(address)
  }

  /**
   * §12.2 rebind rules: the number may not already be bound to another peer, and the
   * peer may not already be bound to another number. Returns 'conflict' in those cases
   * (the caller answers 400), otherwise binds or refreshes.
   */
  bind(number: number, peer: TransportAddress, now: number): 'bound' | 'refreshed' | 'conflict' {
    const existing = this.byNumber(number)
    const existingPeer = this.lookupPeer(peer.address, peer.port)
    if (existing && existing !== existingPeer) return 'conflict'
    if (existingPeer && existingPeer.number !== number) return 'conflict'
    if (existing) {
      existing.expiresAt = now + CHANNEL_BIND_LIFETIME_MS
      return 'refreshed'
    }
    const binding: ChannelBinding = { number, peer, expiresAt: now + CHANNEL_BIND_LIFETIME_MS }
    ;(this.#byNumber ??= new Map()).set(number, binding)
    const byPeer = (this.#byPeer ??= new Map())
    let addresses = byPeer.get(peer.port)
    if (!addresses) byPeer.set(peer.port, (addresses = new Map()))
    addresses.set(peer.address, binding)
    return 'bound'
  }

  expire(now: number): number {
    if (!this.#byNumber) return 0
    let removed = 0
    for (const [number, binding] of this.#byNumber) {
      if (binding.expiresAt <= now) {
        this.#byNumber.delete(number)
        const addresses = this.#byPeer?.get(binding.peer.port)
        addresses?.delete(binding.peer.address)
        if (addresses?.size === 0) this.#byPeer?.delete(binding.peer.port)
        removed++
      }
    }
    return removed
  }
}
