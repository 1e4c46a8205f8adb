/**
 * CreatePermission (RFC 8656 §9.2): install or refresh permissions for one or more
 * peer IP addresses, all or nothing.
 */
import { Attr, StunErrorCode } from '../proto/constants.js'
import { decodeXorAddress } from '../proto/xor-address.js'
import type { Action } from './actions.js'
import type { Allocation } from './allocation.js'
import { drop } from './actions.js'
import type { TransportAddress } from './five-tuple.js'
import { installPermission } from './permission.js'
import { beginDecision, endDecision } from './release-held.js'
import { checkPeerAllowed } from './peer-check.js'
import { requireAllocation } from './require-allocation.js'
import type { Request } from './request.js'
import type { ServerCore } from './server-core.js'

export async function handleCreatePermission(s: ServerCore, req: Request): Promise<Action[]> {
  const pro = requireAllocation(s, req)
  if (!pro.ok) return pro.actions
  const { allocation, key } = pro
  // "When the server receives the CreatePermission request, it … checks that it
  // contains at least one XOR-PEER-ADDRESS attribute" (else 400, as for a malformed one).
  const peers: TransportAddress[] = []
  for (const a of req.msg.attributes) {
    if (a.type !== Attr.XorPeerAddress) continue
    const peer = decodePeer(a.value, req.msg.transactionId)
    if (!peer) return s.failure(req, StunErrorCode.BadRequest, key)
    peers.push(peer)
  }
  if (peers.length === 0) return s.failure(req, StunErrorCode.BadRequest, key)
  // "If an XOR-PEER-ADDRESS attribute contains an address of an address family that is
  // not the same as that of a relayed transport address for the allocation, the server
  // MUST generate an error response with the 443 (Peer Address Family Mismatch)."
  if (peers.some((p) => p.family !== allocation.family)) return s.failure(req, StunErrorCode.PeerAddressFamilyMismatch, key)
  // "The server MAY impose restrictions on the IP address … allowed in the
  // XOR-PEER-ADDRESS attribute; if a value is not allowed, the server rejects the
  // request with a 403 (Forbidden)." — and installs none of them.
  // Data for these peers pipelined behind this request waits for the answer (held-data.ts).
  const addresses = peers.map((p) => p.address)
  beginDecision(allocation, addresses)
  let answer: Action[]
  try {
    answer = await decide(s, req, allocation, peers, key)
  } catch (err) {
    endDecision(s, allocation, addresses)
    throw err
  }
  return [...answer, ...endDecision(s, allocation, addresses)]
}

async function decide(s: ServerCore, req: Request, allocation: Allocation, peers: readonly TransportAddress[], key: Buffer): Promise<Action[]> {
  for (const peer of peers) {
    const verdict = await checkPeerAllowed(s, allocation, peer, 'create-permission')
    if (!verdict.allow) {
      s.events.emit('permission-denied', { method: 'create-permission', reason: verdict.reason, meetingId: allocation.identity.meetingId })
      return s.failure(req, StunErrorCode.Forbidden, key)
    }
  }
  if (s.table.byId(allocation.id) !== allocation) return [drop('no-allocation')]
  for (const peer of peers) installPermission(allocation.permissions, peer.address, req.now)
  return s.success(req, [], key)
}

export function decodePeer(value: Buffer, transactionId: Buffer): TransportAddress | undefined {
  try {
    return decodeXorAddress(value, transactionId)
  } catch (err) {
    if (isCoded(err)) return undefined // a malformed address is the client's 400, not our crash
    throw err
  }
}

function isCoded(err: unknown): boolean {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'string'
}
