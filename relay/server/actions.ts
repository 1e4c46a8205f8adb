/**
 * What the sans-IO server asks the socket layer to do (werift-ice-server style). The
 * server never touches a socket or a timer; relay/node executes these in order.
 */
import type { DropReason } from './events.js'
import type { FiveTuple, TransportAddress } from './five-tuple.js'

export type Action =
  /** Send bytes to a client over the transport of its 5-tuple. */
  | { readonly type: 'send-client'; readonly tuple: FiveTuple; readonly data: Buffer }
  /** Send bytes from an allocation's relayed socket to a peer. */
  | { readonly type: 'send-peer'; readonly allocationId: number; readonly peer: TransportAddress; readonly data: Buffer }
  /**
   * Bind the relayed UDP socket of a pending allocation on address:port, then call
   * `relayBound` (or `relayBindFailed` when the kernel refuses the port).
   */
  | { readonly type: 'bind-relay'; readonly allocationId: number; readonly family: 4 | 6; readonly address: string; readonly port: number }
  /** Close the relayed socket of a deleted allocation. */
  | { readonly type: 'close-relay'; readonly allocationId: number }
  /** Call `tick()` at (or soon after) this time, in ms of the injected clock. */
  | { readonly type: 'schedule'; readonly at: number }
  /** Nothing to send; said so the socket layer can count and tests can assert why. */
  | { readonly type: 'drop'; readonly reason: DropReason }

export const drop = (reason: DropReason): Action => ({ type: 'drop', reason })
