/**
 * Binding (RFC 8489 §6.3.1, §14.2): answer with the client's reflexive address in
 * XOR-MAPPED-ADDRESS. No authentication: TURN servers are STUN servers too, and ICE
 * agents send unauthenticated Binding requests to learn server-reflexive candidates.
 */
import { Attr } from '../proto/constants.js'
import { encodeXorAddress } from '../proto/xor-address.js'
import type { Action } from './actions.js'
import type { Request } from './request.js'
import type { ServerCore } from './server-core.js'

export function handleBinding(s: ServerCore, req: Request): Action[] {
  return s.success(req, [{ type: Attr.XorMappedAddress, value: encodeXorAddress(req.tuple.client, req.msg.transactionId) }])
}
