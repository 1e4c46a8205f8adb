/**
 * Refresh (RFC 8656 §7.3): extend or delete (LIFETIME 0) an allocation. The residency
 * hook is consulted again, so a revoked participant cannot keep an allocation alive.
 */
import type { Verdict } from '../../geo/verdict.js'
import { Attr, StunErrorCode } from '../proto/constants.js'
import { getAttribute } from '../proto/message.js'
import type { Action } from './actions.js'
import type { Allocation } from './allocation.js'
import { drop } from './actions.js'
import { consultPolicy, withVerdict } from './consult-policy.js'
import { refreshLifetime } from './lifetime.js'
import { requireAllocation } from './require-allocation.js'
import type { Request } from './request.js'
import type { ServerCore } from './server-core.js'
import { lifetimeAttr, readAddressFamily, readLifetime } from './wire.js'

export function handleRefresh(s: ServerCore, req: Request): Action[] | Promise<Action[]> {
  const pro = requireAllocation(s, req)
  if (!pro.ok) return pro.actions
  const { allocation, key } = pro
  // "If the request contains a REQUESTED-ADDRESS-FAMILY attribute and the family does
  // not match the allocation's, the server MUST reply with 443."
  const familyAttr = getAttribute(req.msg, Attr.RequestedAddressFamily)
  if (familyAttr) {
    const f = readAddressFamily(familyAttr.value)
    if (f === undefined) return s.failure(req, StunErrorCode.BadRequest, key)
    if (f !== allocation.family) return s.failure(req, StunErrorCode.PeerAddressFamilyMismatch, key)
  }
  const lifetimeA = getAttribute(req.msg, Attr.Lifetime)
  const requested = lifetimeA ? readLifetime(lifetimeA.value) : undefined
  if (lifetimeA && requested === undefined) return s.failure(req, StunErrorCode.BadRequest, key)
  const lifetime = refreshLifetime(requested, s.lifetimes)
  // "If the requested lifetime is zero, the server MUST delete the allocation" — and
  // still answers with LIFETIME 0 so the client knows.
  if (lifetime === 0) {
    const actions = s.deleteAllocation(allocation, 'refresh')
    return [...actions, ...s.success(req, [lifetimeAttr(0)], key)]
  }
  return refreshAllowed(s, req, allocation, key, lifetime)
}

/** A refresh that keeps the allocation asks the policy hook first (a release does not: it only gives up). */
function refreshAllowed(s: ServerCore, req: Request, allocation: Allocation, key: Buffer, lifetime: number): Action[] | Promise<Action[]> {
  const verdict = consultPolicy(s, () =>
    s.policy.allocation({
      identity: allocation.identity,
      clientAddress: req.tuple.client.address,
      clientPort: req.tuple.client.port,
      transport: req.tuple.transport,
    }),
  )
  return withVerdict(verdict, (v) => refreshed(s, req, allocation, key, lifetime, v))
}

function refreshed(s: ServerCore, req: Request, allocation: Allocation, key: Buffer, lifetime: number, verdict: Verdict): Action[] {
  if (s.table.byId(allocation.id) !== allocation) return [drop('no-allocation')]
  if (!verdict.allow) {
    s.events.emit('permission-denied', { method: 'allocate', reason: verdict.reason, meetingId: allocation.identity.meetingId })
    return s.failure(req, StunErrorCode.Forbidden, key)
  }
  allocation.expiresAt = req.now + lifetime * 1000
  s.events.emit('allocation-refreshed', allocation.info(), lifetime)
  return s.success(req, [lifetimeAttr(lifetime)], key)
}
