/**
 * The common prologue of Refresh, CreatePermission and ChannelBind (RFC 8656 §7.3,
 * §9.2, §11.2): authenticate (RFC 8489 §9.2.4), find the allocation of this 5-tuple
 * (else 437 Allocation Mismatch) and check that the credentials are those that created
 * it (else 441 Wrong Credentials, RFC 8656 §5).
 */
import { StunErrorCode } from '../proto/constants.js'
import type { Action } from './actions.js'
import type { Allocation } from './allocation.js'
import type { Request } from './request.js'
import type { ServerCore } from './server-core.js'
import { unknownAttributesAttr } from './wire.js'

export type Prologue = { ok: true; allocation: Allocation; key: Buffer } | { ok: false; actions: Action[] }

export function requireAllocation(s: ServerCore, req: Request): Prologue {
  const auth = s.authenticate(req)
  if (!auth.ok) return { ok: false, actions: s.authFailure(req, auth) }
  const allocation = s.table.byTuple(req.tupleKey)
  if (!allocation || allocation.state !== 'active') {
    return { ok: false, actions: s.failure(req, StunErrorCode.AllocationMismatch, auth.key) }
  }
  if (allocation.identity.username !== auth.identity.username) {
    return { ok: false, actions: s.failure(req, StunErrorCode.WrongCredentials, auth.key) }
  }
  const unknown = s.unknownRequired(req.msg)
  if (unknown.length > 0) return { ok: false, actions: s.failure(req, StunErrorCode.UnknownAttribute, auth.key, [unknownAttributesAttr(unknown)]) }
  return { ok: true, allocation, key: auth.key }
}
