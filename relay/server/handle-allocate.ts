/**
 * Allocate (RFC 8656 §7.2). Steps are quoted where they are enforced. Success is two
 * phases: this handler reserves a pending allocation and asks the socket layer to bind
 * a relayed socket (`bind-relay`); `TurnServer.relayBound` then sends the response.
 */
import type { Verdict } from '../../geo/verdict.js'
import { Attr, StunErrorCode, TRANSPORT_UDP } from '../proto/constants.js'
import { getAttribute } from '../proto/message.js'
import type { Action } from './actions.js'
import { drop } from './actions.js'
import type { Allocation } from './allocation.js'
import { consultPolicy, withVerdict } from './consult-policy.js'
import { allocateLifetime } from './lifetime.js'
import type { Request } from './request.js'
import type { ServerCore } from './server-core.js'
import { readAddressFamily, readEvenPort, readLifetime, readRequestedTransport, unknownAttributesAttr } from './wire.js'

export function handleAllocate(s: ServerCore, req: Request): Action[] | Promise<Action[]> {
  const { msg } = req
  // Step 1: "The server MUST require that the request be authenticated."
  const auth = s.authenticate(req)
  if (!auth.ok) return s.authFailure(req, auth)
  const { key, identity } = auth

  // Step 2: "The server checks if the 5-tuple is currently in use by an existing
  // allocation. If yes, the server rejects the request with a 437." A retransmission of
  // the Allocate that created it gets the original answer instead.
  const existing = s.table.byTuple(req.tupleKey)
  if (existing) {
    if (existing.allocateTransaction === msg.transactionId.toString('hex')) {
      return existing.allocateResponse ? [{ type: 'send-client', tuple: req.tuple, data: existing.allocateResponse }] : [drop('pending')]
    }
    return s.failure(req, StunErrorCode.AllocationMismatch, key)
  }

  const unknown = s.unknownRequired(msg)
  // Step 4: "If the server does not support [DONT-FRAGMENT], it MUST treat it as an
  // unknown comprehension-required attribute" → 420. Node's dgram cannot set DF.
  if (getAttribute(msg, Attr.DontFragment)) unknown.push(Attr.DontFragment)
  if (unknown.length > 0) return s.failure(req, StunErrorCode.UnknownAttribute, key, [unknownAttributesAttr(unknown)])

  // Step 3: REQUESTED-TRANSPORT missing or malformed → 400; anything but UDP → 442.
  const rt = getAttribute(msg, Attr.RequestedTransport)
  const transport = rt && readRequestedTransport(rt.value)
  if (transport === undefined) return s.failure(req, StunErrorCode.BadRequest, key)
  if (transport !== TRANSPORT_UDP) return s.failure(req, StunErrorCode.UnsupportedTransportProtocol, key)

  const token = getAttribute(msg, Attr.ReservationToken)
  const evenPortAttr = getAttribute(msg, Attr.EvenPort)
  const familyAttr = getAttribute(msg, Attr.RequestedAddressFamily)
  const additional = getAttribute(msg, Attr.AdditionalAddressFamily)
  // Step 5: RESERVATION-TOKEN with EVEN-PORT or REQUESTED-ADDRESS-FAMILY → 400. This
  // server never hands out tokens, so any token "is not valid" → 508.
  if (token) {
    if (evenPortAttr || familyAttr) return s.failure(req, StunErrorCode.BadRequest, key)
    return s.failure(req, StunErrorCode.InsufficientCapacity, key)
  }
  // Step 6: EVEN-PORT. An even port we can give; reserving the next one (R bit) we do
  // not do, and "if the server cannot satisfy the request" → 508.
  const evenPort = evenPortAttr ? readEvenPort(evenPortAttr.value) : undefined
  if (evenPortAttr && !evenPort) return s.failure(req, StunErrorCode.BadRequest, key)
  if (evenPort?.reserveNext) return s.failure(req, StunErrorCode.InsufficientCapacity, key)

  // REQUESTED-ADDRESS-FAMILY (§7.2, RFC 8656 §18.10): default IPv4; a family we do not
  // relay → 440. Together with ADDITIONAL-ADDRESS-FAMILY → 400.
  if (familyAttr && additional) return s.failure(req, StunErrorCode.BadRequest, key)
  const requested = familyAttr ? readAddressFamily(familyAttr.value) : 4
  if (requested === undefined) return s.failure(req, StunErrorCode.BadRequest, key)
  if (requested === 'unsupported' || s.relayAddresses[requested] === undefined) {
    return s.failure(req, StunErrorCode.AddressFamilyNotSupported, key)
  }
  const family = requested

  // A draining or full server has no capacity for new allocations (508).
  if (s.draining || s.table.size >= s.quotas.capacity) {
    s.events.emit('quota-exceeded', 'capacity')
    return s.failure(req, StunErrorCode.InsufficientCapacity, key)
  }
  // Step 7: "the server checks if the request can be satisfied by the quota" → 486. At the
  // participant's quota, an allocation of theirs that has relayed nothing for a while (a
  // connection closed without releasing it) makes room instead: see `idleToEvict`.
  let replaced: Allocation | undefined
  const own = s.table.participantAllocations(identity.meetingId, identity.participantId)
  if (own.size >= s.quotas.allocationsPerParticipant) {
    replaced = idleToEvict(own, s.quotas.evictIdleAfterSeconds, req.now)
    if (replaced === undefined) {
      s.events.emit('quota-exceeded', 'participant')
      return s.failure(req, StunErrorCode.AllocationQuotaReached, key)
    }
  }
  if (identity.meetingId !== undefined && s.table.meetingCount(identity.meetingId) - (replaced ? 1 : 0) >= s.quotas.allocationsPerMeeting) {
    s.events.emit('quota-exceeded', 'meeting')
    return s.failure(req, StunErrorCode.AllocationQuotaReached, key)
  }

  const lifetimeAttr = getAttribute(msg, Attr.Lifetime)
  const requestedLifetime = lifetimeAttr ? readLifetime(lifetimeAttr.value) : undefined
  if (lifetimeAttr && requestedLifetime === undefined) return s.failure(req, StunErrorCode.BadRequest, key)

  // Every check passed: the idle allocation goes (its relayed socket with it) whatever the policy says next.
  const evicted = replaced ? s.deleteAllocation(replaced, 'evicted-idle') : []
  // Reserve before asking the policy, so concurrent Allocates count against the quotas.
  const allocation = s.newAllocation(req, identity, key, family, allocateLifetime(requestedLifetime, s.lifetimes))
  // Step 8: "Any other checks…the server MAY reject the request for reasons of policy" →
  // the residency hook. 403 (Forbidden) when it says no.
  const verdict = consultPolicy(s, () =>
    s.policy.allocation({
      identity,
      clientAddress: req.tuple.client.address,
      clientPort: req.tuple.client.port,
      transport: req.tuple.transport,
    }),
  )
  return withVerdict(verdict, (v) => {
    const actions = bindAllowed(s, req, allocation, v, key, evenPort !== undefined)
    return evicted.length > 0 ? [...evicted, ...actions] : actions
  })
}

/**
 * Of a participant's allocations, the one that has relayed nothing for `evictIdleAfterSeconds`
 * (the longest idle first), or undefined. A live call's allocation is never idle that long:
 * ICE consent checks (RFC 7675) cross it every few seconds. Pending ones are never taken.
 */
function idleToEvict(own: ReadonlySet<Allocation>, evictIdleAfterSeconds: number, now: number): Allocation | undefined {
  const idleMs = evictIdleAfterSeconds * 1000
  if (idleMs <= 0) return undefined
  let oldest: Allocation | undefined
  for (const a of own) {
    if (a.state !== 'active' || now - a.lastActiveAt < idleMs) continue
    if (oldest === undefined || a.lastActiveAt < oldest.lastActiveAt) oldest = a
  }
  return oldest
}

/** After the policy hook: 403, 508 without a port, or `bind-relay` for the chosen one. */
function bindAllowed(s: ServerCore, req: Request, allocation: Allocation, verdict: Verdict, key: Buffer, even: boolean): Action[] {
  if (s.table.byId(allocation.id) !== allocation) return [drop('no-allocation')] // revoked meanwhile
  if (!verdict.allow) {
    s.deleteAllocation(allocation, 'bind-failed')
    s.events.emit('permission-denied', { method: 'allocate', reason: verdict.reason, meetingId: allocation.identity.meetingId })
    return s.failure(req, StunErrorCode.Forbidden, key)
  }

  const pool = s.portPool(allocation.family)
  const port = pool?.acquire(even)
  if (port === undefined) {
    s.deleteAllocation(allocation, 'bind-failed')
    s.events.emit('quota-exceeded', 'capacity')
    return s.failure(req, StunErrorCode.InsufficientCapacity, key)
  }
  allocation.pendingPort = port
  allocation.wantEvenPort = even
  allocation.pendingRequest = req
  return [{ type: 'bind-relay', allocationId: allocation.id, family: allocation.family, address: s.relayAddresses[allocation.family]!, port }]
}
