/**
 * Data held behind a permission decision (issue 12). A client pipelines a Send indication
 * (or ChannelData) right behind the CreatePermission (or ChannelBind) for the same peer —
 * libjuice sends its first ICE connectivity check that way — and the decision is async
 * (the residency hook may read Redis). Handled in arrival order, the data would find no
 * permission yet and be dropped, and the check is retransmitted only after ~0.5 s / 1.5 s.
 *
 * So, per allocation: while a decision for a peer IP (or a ChannelBind of a channel
 * number) is in progress, data for it that has no permission (or channel) yet waits here,
 * bounded in packets, bytes and time. When no decision blocks it any more, or it has
 * waited `MAX_HOLD_MS`, it is handled as usual: forwarded if the permission is there now,
 * dropped and counted if not. Nothing is forwarded before the policy said yes. Pure data:
 * the handlers decide when to hold and what to do with what comes out.
 */
import type { TransportAddress } from './five-tuple.js'

/** Packets held per allocation; beyond it data is handled at once (no permission: dropped). */
export const MAX_HELD_PACKETS = 32
/** Bytes held per allocation (payloads), the same way. */
export const MAX_HELD_BYTES = 64 * 1024
/** Longest a packet waits for a decision; then it is handled as if it had just arrived. */
export const MAX_HOLD_MS = 1000

export type Held =
  /** A Send indication's peer and DATA. */
  | { readonly kind: 'send'; readonly peer: TransportAddress; readonly data: Buffer; readonly at: number }
  /** A whole ChannelData message (a copy); `peerAddress` when its channel was bound already. */
  | { readonly kind: 'channel'; readonly channel: number; readonly peerAddress: string | undefined; readonly frame: Buffer; readonly at: number }

export class PendingDecisions {
  /** peer IP → decisions in progress that may install its permission */
  readonly #peers = new Map<string, number>()
  /** channel number → ChannelBinds in progress */
  readonly #channels = new Map<number, number>()
  #held: Held[] = []
  #bytes = 0

  /** A CreatePermission (peers) or ChannelBind (one peer and its channel) starts being decided. */
  begin(peers: readonly string[], channel?: number): void {
    for (const p of peers) this.#peers.set(p, (this.#peers.get(p) ?? 0) + 1)
    if (channel !== undefined) this.#channels.set(channel, (this.#channels.get(channel) ?? 0) + 1)
  }

  /** That decision ended (granted, refused or failed). */
  end(peers: readonly string[], channel?: number): void {
    for (const p of peers) decrement(this.#peers, p)
    if (channel !== undefined) decrement(this.#channels, channel)
  }

  decidingPeer(address: string): boolean {
    return this.#peers.has(address)
  }

  decidingChannel(channel: number): boolean {
    return this.#channels.has(channel)
  }

  /** Nothing decided, nothing held: the allocation can forget this object. */
  get idle(): boolean {
    return this.#peers.size === 0 && this.#channels.size === 0 && this.#held.length === 0
  }

  get heldPackets(): number {
    return this.#held.length
  }

  /** Keeps `h` until its decision ends; false when the bounds are reached (handle it now). */
  hold(h: Held): boolean {
    const size = h.kind === 'send' ? h.data.length : h.frame.length
    if (this.#held.length >= MAX_HELD_PACKETS || this.#bytes + size > MAX_HELD_BYTES) return false
    this.#held.push(h)
    this.#bytes += size
    return true
  }

  /**
   * Removes and returns, in arrival order, what no decision blocks any more and what has
   * waited `MAX_HOLD_MS` (at `now`); the rest keeps waiting.
   */
  takeReady(now: number): Held[] {
    if (this.#held.length === 0) return []
    const ready: Held[] = []
    const kept: Held[] = []
    for (const h of this.#held) (now - h.at >= MAX_HOLD_MS || !this.#blocked(h) ? ready : kept).push(h)
    if (ready.length === 0) return ready
    this.#held = kept
    for (const h of ready) this.#bytes -= h.kind === 'send' ? h.data.length : h.frame.length
    return ready
  }

  #blocked(h: Held): boolean {
    if (h.kind === 'send') return this.#peers.has(h.peer.address)
    return this.#channels.has(h.channel) || (h.peerAddress !== undefined && this.#peers.has(h.peerAddress))
  }
}

function decrement<K>(m: Map<K, number>, k: K): void {
  const n = m.get(k)
  if (n === undefined) return
  if (n <= 1) m.delete(k)
  else m.set(k, n - 1)
}
