import t from 'tap'

import { allow, deny } from '../../../geo/verdict.js'
import {
  Attr,
  MessageClass,
  Method,
  decodeLifetime,
  decodeUnknownAttributes,
  decodeXorAddress,
  encodeEvenPort,
  encodeRequestedAddressFamily,
  encodeRequestedTransport,
  encodeReservationToken,
  getAttribute,
  hasFingerprint,
  longTermKey,
  verifyFingerprint,
  verifyMessageIntegrity,
  TRANSPORT_TCP,
} from '../../../relay/proto/index.js'
import { REALM, harness, lifetime, transportUdp, udpTuple } from '../../support/server-harness.js'
import { errorCodeOf, indication, peerAttr, request, textOf } from '../../support/stun-builder.js'
import { fiveTupleKey } from '../../../relay/server/five-tuple.js'

t.test('an Allocate without credentials is challenged with 401, REALM and NONCE, unsigned', async (t) => {
  const h = harness()
  const res = await h.ask(udpTuple(), request(Method.Allocate, [transportUdp()]))
  t.equal(errorCodeOf(res), 401)
  t.equal(textOf(res, Attr.Realm), REALM)
  t.ok(textOf(res, Attr.Nonce))
  t.notOk(getAttribute(res, Attr.MessageIntegrity))
  t.ok(hasFingerprint(res) && verifyFingerprint(res))
})

t.test('an authenticated Allocate gets XOR-RELAYED-ADDRESS, LIFETIME 600, XOR-MAPPED-ADDRESS, integrity, SOFTWARE and FINGERPRINT', async (t) => {
  const h = harness()
  const tuple = udpTuple(40001)
  const cred = await h.login(tuple)
  const res = await h.allocate(tuple, cred)
  t.equal(res.cls, MessageClass.SuccessResponse)
  const relayed = decodeXorAddress(getAttribute(res, Attr.XorRelayedAddress)!.value, res.transactionId)
  t.equal(relayed.address, '192.0.2.100')
  t.ok(relayed.port >= 50000 && relayed.port <= 50099)
  t.same(decodeXorAddress(getAttribute(res, Attr.XorMappedAddress)!.value, res.transactionId), { family: 4, address: '192.0.2.1', port: 40001 })
  t.equal(decodeLifetime(getAttribute(res, Attr.Lifetime)!.value), 600)
  t.ok(verifyMessageIntegrity(res, longTermKey(cred.username, REALM, cred.password)))
  t.equal(textOf(res, Attr.Software), 'sovereign-test')
  t.ok(verifyFingerprint(res))
  t.equal(h.server.table.size, 1)
})

t.test('behind 1:1 NAT, XOR-RELAYED-ADDRESS carries the advertised public address with the bound port', async (t) => {
  const h = harness({ advertisedAddresses: { 4: '203.0.113.7' } })
  const tuple = udpTuple(40002)
  const res = await h.allocate(tuple, await h.login(tuple))
  t.equal(res.cls, MessageClass.SuccessResponse)
  const bind = h.actions.find((a) => a.type === 'bind-relay') as Extract<(typeof h.actions)[number], { type: 'bind-relay' }>
  t.same({ address: bind.address }, { address: '192.0.2.100' }, 'the relayed socket binds on the private address')
  t.same(decodeXorAddress(getAttribute(res, Attr.XorRelayedAddress)!.value, res.transactionId), { family: 4, address: '203.0.113.7', port: bind.port }, 'peers are told the public one, same port')
  t.same(decodeXorAddress(getAttribute(res, Attr.XorMappedAddress)!.value, res.transactionId), { family: 4, address: '192.0.2.1', port: 40002 }, 'the mapped address is still the client as seen')
})

t.test('an advertised address that is not an IP of its family, or has no relay address to map, is refused at start', async (t) => {
  t.throws(() => harness({ advertisedAddresses: { 4: 'relay.example.com' } }), /not an IPv4 literal/)
  t.throws(() => harness({ advertisedAddresses: { 6: '2001:db8::7' } }), /no IPv6 relay address/)
  t.throws(() => harness({ relayAddresses: { 6: '2001:db8::1' }, advertisedAddresses: { 6: '203.0.113.7' } }), /not an IPv6 literal/)
})

t.test('integrity without a NONCE is a 400 Bad Request', async (t) => {
  const h = harness()
  const tuple = udpTuple()
  const cred = await h.login(tuple)
  // A message with USERNAME/REALM but no NONCE: build by hand.
  const { encodeMessage, encodeUsername, encodeRealm } = await import('../../../relay/proto/index.js')
  const buf = encodeMessage(
    { method: Method.Allocate, cls: MessageClass.Request, transactionId: Buffer.alloc(12, 7), attributes: [transportUdp(), { type: Attr.Username, value: encodeUsername(cred.username) }, { type: Attr.Realm, value: encodeRealm(REALM) }] },
    { integrityKey: longTermKey(cred.username, REALM, cred.password) },
  )
  t.equal(errorCodeOf(await h.ask(tuple, buf)), 400)
})

t.test('a stale nonce is answered 438 with a fresh NONCE and REALM', async (t) => {
  const h = harness()
  const tuple = udpTuple()
  const cred = await h.login(tuple)
  h.advance(600_001)
  const res = await h.allocate(tuple, cred)
  t.equal(errorCodeOf(res), 438)
  t.equal(textOf(res, Attr.Realm), REALM)
  t.not(textOf(res, Attr.Nonce), cred.nonce)
  const retry = await h.allocate(tuple, { ...cred, nonce: textOf(res, Attr.Nonce)! })
  t.equal(retry.cls, MessageClass.SuccessResponse, 'the new nonce works')
})

t.test('a wrong password, an expired credential or a foreign realm are 401', async (t) => {
  const h = harness()
  const tuple = udpTuple()
  const cred = await h.login(tuple)
  t.equal(errorCodeOf(await h.allocate(tuple, { ...cred, password: 'nope' })), 401)
  const expired = h.credential('m1', 'p1', -10)
  t.equal(errorCodeOf(await h.allocate(tuple, { ...cred, ...expired })), 401)
  t.equal(errorCodeOf(await h.allocate(tuple, { ...cred, realm: 'elsewhere' })), 401)
  t.equal(h.server.table.size, 0)
})

t.test('the response kept for retransmissions holds only its own bytes, not a shared buffer pool', async (t) => {
  const h = harness()
  const tuple = udpTuple()
  await h.allocate(tuple, await h.login(tuple))
  const kept = [...h.server.table.values()][0]!.allocateResponse!
  t.equal(kept.buffer.byteLength, kept.length, 'an idle allocation must not keep 8 KB of pool alive')
})

t.test('a second Allocate on the same 5-tuple is 437, a retransmission gets the first answer', async (t) => {
  const h = harness()
  const tuple = udpTuple()
  const cred = await h.login(tuple)
  const txn = Buffer.alloc(12, 1)
  const first = await h.ask(tuple, request(Method.Allocate, [transportUdp()], cred, txn))
  t.equal(first.cls, MessageClass.SuccessResponse)
  const again = await h.ask(tuple, request(Method.Allocate, [transportUdp()], cred, txn))
  t.same(again.raw, first.raw, 'retransmission answered with the stored response')
  const other = await h.allocate(tuple, cred)
  t.equal(errorCodeOf(other), 437)
  t.ok(getAttribute(other, Attr.MessageIntegrity), 'authenticated errors are signed')
  t.equal(h.server.table.size, 1)
})

t.test('REQUESTED-TRANSPORT must be present (400) and UDP (442)', async (t) => {
  const h = harness()
  const tuple = udpTuple()
  const cred = await h.login(tuple)
  t.equal(errorCodeOf(await h.ask(tuple, request(Method.Allocate, [], cred))), 400)
  const tcp = { type: Attr.RequestedTransport, value: encodeRequestedTransport(TRANSPORT_TCP) }
  t.equal(errorCodeOf(await h.ask(tuple, request(Method.Allocate, [tcp], cred))), 442)
})

t.test('an IPv6 relayed address is 440 when the relay has no IPv6 address, and granted when it has', async (t) => {
  const v6 = { type: Attr.RequestedAddressFamily, value: encodeRequestedAddressFamily(6) }
  const h = harness()
  const tuple = udpTuple()
  const cred = await h.login(tuple)
  t.equal(errorCodeOf(await h.allocate(tuple, cred, [v6])), 440)
  const unknownFamily = { type: Attr.RequestedAddressFamily, value: Buffer.from([0x03, 0, 0, 0]) }
  t.equal(errorCodeOf(await h.allocate(tuple, cred, [unknownFamily])), 440)
  const h6 = harness({ relayAddresses: { 4: '192.0.2.100', 6: '2001:db8::1' } })
  const cred6 = await h6.login(tuple)
  const res = await h6.allocate(tuple, cred6, [v6])
  t.equal(decodeXorAddress(getAttribute(res, Attr.XorRelayedAddress)!.value, res.transactionId).address, '2001:db8::1')
})

t.test('DONT-FRAGMENT and unknown comprehension-required attributes are 420 with UNKNOWN-ATTRIBUTES', async (t) => {
  const h = harness()
  const tuple = udpTuple()
  const cred = await h.login(tuple)
  const df = await h.allocate(tuple, cred, [{ type: Attr.DontFragment, value: Buffer.alloc(0) }])
  t.equal(errorCodeOf(df), 420)
  t.same(decodeUnknownAttributes(getAttribute(df, Attr.UnknownAttributes)!.value), [Attr.DontFragment])
  const odd = await h.allocate(tuple, cred, [{ type: 0x7777, value: Buffer.alloc(4) }])
  t.equal(errorCodeOf(odd), 420)
  t.same(decodeUnknownAttributes(getAttribute(odd, Attr.UnknownAttributes)!.value), [0x7777])
  const optional = await h.allocate(tuple, cred, [{ type: 0xc777, value: Buffer.alloc(4) }])
  t.equal(optional.cls, MessageClass.SuccessResponse, 'unknown comprehension-optional attributes are ignored')
})

t.test('EVEN-PORT gives an even port; reservations are not offered (508), a token is refused (508) and cannot mix with EVEN-PORT (400)', async (t) => {
  const h = harness()
  const cred = await h.login(udpTuple(1))
  const even = await h.allocate(udpTuple(1), cred, [{ type: Attr.EvenPort, value: encodeEvenPort(false) }])
  t.equal(decodeXorAddress(getAttribute(even, Attr.XorRelayedAddress)!.value, even.transactionId).port % 2, 0)
  t.equal(errorCodeOf(await h.allocate(udpTuple(2), cred, [{ type: Attr.EvenPort, value: encodeEvenPort(true) }])), 508)
  const token = { type: Attr.ReservationToken, value: encodeReservationToken(Buffer.alloc(8, 1)) }
  t.equal(errorCodeOf(await h.allocate(udpTuple(3), cred, [token])), 508)
  t.equal(errorCodeOf(await h.allocate(udpTuple(4), cred, [token, { type: Attr.EvenPort, value: encodeEvenPort(false) }])), 400)
})

t.test('the requested lifetime is clamped between the default and the 3600 s maximum', async (t) => {
  const h = harness()
  const cred = await h.login(udpTuple(1))
  const long = await h.allocate(udpTuple(1), cred, [lifetime(99999)])
  t.equal(decodeLifetime(getAttribute(long, Attr.Lifetime)!.value), 3600)
  const short = await h.allocate(udpTuple(2), cred, [lifetime(30)])
  t.equal(decodeLifetime(getAttribute(short, Attr.Lifetime)!.value), 600)
})

t.test('allocations per participant and per meeting are limited with 486', async (t) => {
  const h = harness({ quotas: { allocationsPerParticipant: 2, allocationsPerMeeting: 3 } })
  const alice = await h.login(udpTuple(1), h.credential('m1', 'alice'))
  t.equal((await h.allocate(udpTuple(1), alice)).cls, MessageClass.SuccessResponse)
  t.equal((await h.allocate(udpTuple(2), alice)).cls, MessageClass.SuccessResponse)
  t.equal(errorCodeOf(await h.allocate(udpTuple(3), alice)), 486, 'a third for alice')
  const bob = { ...alice, ...h.credential('m1', 'bob') }
  t.equal((await h.allocate(udpTuple(4), bob)).cls, MessageClass.SuccessResponse)
  t.equal(errorCodeOf(await h.allocate(udpTuple(5), bob)), 486, 'a fourth for the meeting')
  const carol = { ...alice, ...h.credential('m2', 'carol') }
  t.equal((await h.allocate(udpTuple(6), carol)).cls, MessageClass.SuccessResponse, 'other meetings are unaffected')
})

t.test('at the participant quota, an Allocate replaces the allocation of theirs that has relayed nothing longest', async (t) => {
  const h = harness({ quotas: { allocationsPerParticipant: 2, evictIdleAfterSeconds: 30 } })
  const deleted: string[] = []
  h.server.events.on('allocation-deleted', (i, cause) => deleted.push(`${i.client}:${cause}`))
  const alice = await h.login(udpTuple(1), h.credential('m1', 'alice'))
  t.equal((await h.allocate(udpTuple(1), alice)).cls, MessageClass.SuccessResponse)
  h.advance(10_000)
  t.equal((await h.allocate(udpTuple(2), alice)).cls, MessageClass.SuccessResponse)
  const stale = h.server.table.byTuple(fiveTupleKey(udpTuple(1)))!
  h.advance(15_000)
  t.equal(errorCodeOf(await h.allocate(udpTuple(3), alice)), 486, 'none has been idle 30 s yet (25 s and 15 s)')
  // The newer allocation carries a call: a permission and a Send indication, counted at the next flush.
  const txn = Buffer.alloc(12, 9)
  await h.ask(udpTuple(2), request(Method.CreatePermission, [peerAttr('192.0.2.50', 40000, txn)], alice, txn))
  await h.send(udpTuple(2), indication(Method.Send, [peerAttr('192.0.2.50', 40000, txn), { type: Attr.Data, value: Buffer.from('rtp') }], txn))
  h.advance(10_000)
  h.server.flush()
  const actions = await h.send(udpTuple(3), request(Method.Allocate, [transportUdp()], alice))
  t.same(actions.filter((a) => a.type === 'close-relay'), [{ type: 'close-relay', allocationId: stale.id }], 'the idle allocation and its relayed socket go')
  t.ok(actions.some((a) => a.type === 'send-client'), 'the Allocate is answered')
  t.same(deleted, ['192.0.2.1:1:evicted-idle'], 'reported with its own cause')
  t.equal(h.server.table.byTuple(fiveTupleKey(udpTuple(1))), undefined)
  t.ok(h.server.table.byTuple(fiveTupleKey(udpTuple(2))), 'the one that relayed stays')
  t.equal(h.server.table.participantAllocations('m1', 'alice').size, 2, 'still at the quota, never over it')
  h.advance(15_000)
  h.server.flush()
  t.equal(errorCodeOf(await h.allocate(udpTuple(4), alice)), 486, 'the one that relayed did so 25 s ago, the new one is 15 s old')
})

t.test('with evictIdleAfterSeconds 0 the participant quota is a plain 486, however long an allocation has been idle', async (t) => {
  const h = harness({ quotas: { allocationsPerParticipant: 1, evictIdleAfterSeconds: 0 } })
  const alice = await h.login(udpTuple(1), h.credential('m1', 'alice'))
  t.equal((await h.allocate(udpTuple(1), alice)).cls, MessageClass.SuccessResponse)
  h.advance(300_000)
  t.equal(errorCodeOf(await h.allocate(udpTuple(2), alice)), 486)
  t.equal(h.server.table.size, 1)
})

t.test('a full or draining server answers 508 Insufficient Capacity', async (t) => {
  const h = harness({ quotas: { capacity: 1 } })
  const cred = await h.login(udpTuple(1))
  t.equal((await h.allocate(udpTuple(1), cred)).cls, MessageClass.SuccessResponse)
  t.equal(errorCodeOf(await h.allocate(udpTuple(2), cred)), 508)
  const d = harness()
  d.server.drain()
  const c2 = await d.login(udpTuple(1))
  t.equal(errorCodeOf(await d.allocate(udpTuple(1), c2)), 508)
})

t.test('when every relay port is taken the Allocate is 508 and nothing leaks', async (t) => {
  const h = harness({ ports: { min: 50000, max: 50003 } })
  for (const p of [50000, 50001, 50002]) h.busyPorts.add(p)
  const cred = await h.login(udpTuple(1))
  const ok = await h.allocate(udpTuple(1), cred)
  t.equal(decodeXorAddress(getAttribute(ok, Attr.XorRelayedAddress)!.value, ok.transactionId).port, 50003, 'busy ports are skipped')
  t.equal(errorCodeOf(await h.allocate(udpTuple(2), cred)), 508)
  t.equal(h.server.table.size, 1)
})

t.test('the policy hook decides allocations: a denial is 403 and is reported', async (t) => {
  const seen: string[] = []
  const h = harness({
    policy: {
      allocation: async (ctx) => (ctx.identity.meetingId === 'blocked' ? deny('meeting_not_homed_here') : allow('home_region')),
      peer: () => allow('no_residency_policy'),
    },
  })
  h.server.events.on('permission-denied', (e) => seen.push(e.reason))
  const cred = await h.login(udpTuple(1), h.credential('blocked', 'p1'))
  t.equal(errorCodeOf(await h.allocate(udpTuple(1), cred)), 403)
  t.same(seen, ['meeting_not_homed_here'])
  t.equal(h.server.table.size, 0)
  const ok = await h.login(udpTuple(2), h.credential('fine', 'p1'))
  t.equal((await h.allocate(udpTuple(2), ok)).cls, MessageClass.SuccessResponse)
})

t.test('a policy hook that fails is a 403 (fail closed) and is reported, not a hang', async (t) => {
  const failures: unknown[] = []
  const h = harness({
    policy: {
      allocation: async () => {
        throw new Error('redis unreachable')
      },
      peer: () => allow('no_residency_policy'),
    },
  })
  h.server.events.on('policy-failed', (e) => failures.push(e))
  const denied: string[] = []
  h.server.events.on('permission-denied', (e) => denied.push(e.reason))
  const cred = await h.login(udpTuple(1))
  t.equal(errorCodeOf(await h.allocate(udpTuple(1), cred)), 403)
  t.equal(failures.length, 1)
  t.same(denied, ['policy_unavailable'])
  t.equal(h.server.table.size, 0)
})

t.test('a hook that answers synchronously decides the Allocate in the same turn; an asynchronous one later', async (t) => {
  for (const [kind, policy] of [
    ['synchronous', { allocation: () => allow('home_region'), peer: () => allow('no_residency_policy') }],
    ['asynchronous', { allocation: async () => allow('home_region'), peer: () => allow('no_residency_policy') }],
  ] as const) {
    const h = harness({ policy })
    const cred = await h.login(udpTuple(1))
    const result = h.server.handleClientPacket(udpTuple(1), request(Method.Allocate, [transportUdp()], cred))
    t.equal(Array.isArray(result), kind === 'synchronous', `${kind} hook: ${kind === 'synchronous' ? 'the actions' : 'a promise of them'}`)
    const actions = await result
    t.equal(actions[0]?.type, 'bind-relay', `${kind} hook: the relayed socket is asked for`)
  }
})

t.test('a hook that throws synchronously fails closed like one that rejects', async (t) => {
  const failures: unknown[] = []
  const h = harness({
    policy: {
      allocation: () => {
        throw new Error('bug in the hook')
      },
      peer: () => allow('no_residency_policy'),
    },
  })
  h.server.events.on('policy-failed', (e) => failures.push(e))
  const cred = await h.login(udpTuple(1))
  t.equal(errorCodeOf(await h.allocate(udpTuple(1), cred)), 403)
  t.equal(failures.length, 1)
  t.equal(h.server.table.size, 0, 'the reserved allocation is gone')
})

t.test('a Binding request is answered with XOR-MAPPED-ADDRESS without authentication', async (t) => {
  const h = harness()
  const res = await h.ask(udpTuple(41000), request(Method.Binding))
  t.equal(res.cls, MessageClass.SuccessResponse)
  t.same(decodeXorAddress(getAttribute(res, Attr.XorMappedAddress)!.value, res.transactionId), { family: 4, address: '192.0.2.1', port: 41000 })
})
