/**
 * Send indication (RFC 8656 §10.2): data from the client to a peer, wrapped in STUN.
 * Indications get no answer; anything wrong is a silent drop.
 */
import { Attr } from '../proto/constants.js'
import { getAttribute } from '../proto/message.js'
import type { Action } from './actions.js'
import { decodePeer } from './handle-create-permission.js'
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
  // "If the Send indication … does not have a permission for the peer … discard."
  if (!hasPermission(allocation.permissions, peer.address, req.now)) return [s.countDrop('no-permission')]
  // Permissions are per IP: a permission for a relay of the meeting must not carry data
  // to that relay's listeners (the TURN hairpin), so the port is checked per indication.
  if (checkSendPeer(s, allocation, peer)) return [s.countDrop('relay-service')]
  if (!allocation.bucket.take(data.value.length, req.now)) {
    allocation.droppedBandwidth++
    return [s.countDrop('bandwidth')]
  }
  allocation.toPeerBytes += data.value.length
  allocation.toPeerPackets++
  return [{ type: 'send-peer', allocationId: allocation.id, peer, data: data.value }]
}
