/**
 * ChannelBind (RFC 8656 §11.2): bind a channel number to a peer transport address for
 * 600 s, and install or refresh the permission for its IP address.
 */
import { Attr, CHANNEL_NUMBER_MAX, CHANNEL_NUMBER_MIN, StunErrorCode } from '../proto/constants.js'
import { getAttribute } from '../proto/message.js'
import type { Action } from './actions.js'
import type { Allocation } from './allocation.js'
import type { TransportAddress } from './five-tuple.js'
import { drop } from './actions.js'
import { decodePeer } from './handle-create-permission.js'
import { installPermission } from './permission.js'
import { beginDecision, endDecision } from './release-held.js'
import { checkPeerAllowed } from './peer-check.js'
import { requireAllocation } from './require-allocation.js'
import type { Request } from './request.js'
import type { ServerCore } from './server-core.js'
import { readChannelNumber } from './wire.js'

export async function handleChannelBind(s: ServerCore, req: Request): Promise<Action[]> {
  const pro = requireAllocation(s, req)
  if (!pro.ok) return pro.actions
  const { allocation, key } = pro
  // "The request contains both a CHANNEL-NUMBER and an XOR-PEER-ADDRESS attribute" and
  // "the channel number is in the range 0x4000 through 0x4FFF (inclusive)" — else 400.
  // We keep RFC 5766's 0x4000–0x7FFF, which coturn and libwebrtc clients use (constants.ts).
  const cn = getAttribute(req.msg, Attr.ChannelNumber)
  const number = cn ? readChannelNumber(cn.value) : undefined
  const pa = getAttribute(req.msg, Attr.XorPeerAddress)
  const peer = pa ? decodePeer(pa.value, req.msg.transactionId) : undefined
  if (number === undefined || number < CHANNEL_NUMBER_MIN || number > CHANNEL_NUMBER_MAX || !peer) {
    return s.failure(req, StunErrorCode.BadRequest, key)
  }
  // "If the XOR-PEER-ADDRESS attribute contains an address of an address family that is
  // not the same as that of a relayed transport address for the allocation" → 443.
  if (peer.family !== allocation.family) return s.failure(req, StunErrorCode.PeerAddressFamilyMismatch, key)
  // ChannelData on this channel, and data for this peer, pipelined behind this request
  // wait for the answer (held-data.ts).
  beginDecision(allocation, [peer.address], number)
  let answer: Action[]
  try {
    answer = await decide(s, req, allocation, number, peer, key)
  } catch (err) {
    endDecision(s, allocation, [peer.address], number)
    throw err
  }
  return [...answer, ...endDecision(s, allocation, [peer.address], number)]
}

async function decide(s: ServerCore, req: Request, allocation: Allocation, number: number, peer: TransportAddress, key: Buffer): Promise<Action[]> {
  const verdict = await checkPeerAllowed(s, allocation, peer, 'channel-bind')
  if (!verdict.allow) {
    s.events.emit('permission-denied', { method: 'channel-bind', reason: verdict.reason, meetingId: allocation.identity.meetingId })
    return s.failure(req, StunErrorCode.Forbidden, key)
  }
  if (s.table.byId(allocation.id) !== allocation) return [drop('no-allocation')]
  // "The channel number is not currently bound to a different transport address (same
  // transport address is OK)" and "the transport address is not currently bound to a
  // different channel number" — else 400.
  if (allocation.channels.bind(number, peer, req.now) === 'conflict') return s.failure(req, StunErrorCode.BadRequest, key)
  // "In addition, the server MUST install or refresh a permission for the IP address."
  installPermission(allocation.permissions, peer.address, req.now)
  return s.success(req, [], key)
}
