/**
 * Send indication (RFC 8656 §10.2): data from the client to a peer, wrapped in STUN.
 * Indications get no answer; anything wrong is a silent drop.
 */
import { Attr } from '../proto/constants.js'
import { getAttribute } from '../proto/message.js'
import type { Action } from './actions.js'
import type { Allocation } from './allocation.js'
import type { TransportAddress } from './five-tuple.js'
import { decodePeer } from './handle-create-permission.js'
import { MAX_HOLD_MS } from './held-data.js'
import { hasPermission } from './permission.js'
import { checkSendPeer } from './peer-check.js'
import type { Request } from './request.js'
import type { ServerCore } from './server-core.js'

export function handleSend(s: ServerCore, req: Request): Action[] {
  const allocation = s.table.byTuple(req.tupleKey)
  if (!allocation || allocation.state !== 'active') return [s.countDrop('no-allocation')]
  // "the server … checks that the Send indication contains both an XOR-PEER-ADDRESS
  // attribute and a DATA attribute. If one of these attributes is missing or invalid,
  // then the message is discarded."
  const pa = getAttribute(req.msg, Attr.XorPeerAddress)
  const data = getAttribute(req.msg, Attr.Data)
  const peer = pa ? decodePeer(pa.value, req.msg.transactionId) : undefined
  if (!peer || !data || peer.family !== allocation.family) return [s.countDrop('malformed')]
  // No permission yet, but a CreatePermission or ChannelBind for this peer is being
  // decided (pipelined before this indication): wait for its answer (held-data.ts).
  if (!hasPermission(allocation.permissions, peer.address, req.now) && allocation.decisions?.decidingPeer(peer.address)) {
    if (allocation.decisions.hold({ kind: 'send', peer, data: data.value, at: req.now })) return [{ type: 'schedule', at: req.now + MAX_HOLD_MS }]
  }
  return [forwardSend(s, allocation, peer, data.value, req.now)]
}

/** A Send indication's data to `peer`, or why not: the permission, the hairpin guard, the bandwidth limit. */
export function forwardSend(s: ServerCore, allocation: Allocation, peer: TransportAddress, data: Buffer, now: number): Action {
  // "If the Send indication … does not have a permission for the peer … discard."
  if (!hasPermission(allocation.permissions, peer.address, now)) return s.countDrop('no-permission')
  // Permissions are per IP: a permission for a relay of the meeting must not carry data
  // to that relay's listeners (the TURN hairpin), so the port is checked per indication.
  if (checkSendPeer(s, allocation, peer)) return s.countDrop('relay-service')
  if (!allocation.bucket.take(data.length, now)) {
    allocation.droppedBandwidth++
    return s.countDrop('bandwidth')
  }
  allocation.toPeerBytes += data.length
  allocation.toPeerPackets++
  return { type: 'send-peer', allocationId: allocation.id, peer, data }
}
