import t from 'tap'

import { Attr, MessageClass, Method, decodeLifetime, encodeRequestedAddressFamily, getAttribute } from '../../../relay/proto/index.js'
import { harness, lifetime, udpTuple } from '../../support/server-harness.js'
import { errorCodeOf, request } from '../../support/stun-builder.js'

t.test('a Refresh extends the allocation and answers with the granted LIFETIME', async (t) => {
  const h = harness()
  const tuple = udpTuple()
  const cred = await h.login(tuple)
  await h.allocate(tuple, cred)
  h.advance(500_000)
  const res = await h.ask(tuple, request(Method.Refresh, [lifetime(1200)], cred))
  t.equal(res.cls, MessageClass.SuccessResponse)
  t.equal(decodeLifetime(getAttribute(res, Attr.Lifetime)!.value), 1200)
  h.advance(1_199_000)
  h.server.tick()
  t.equal(h.server.table.size, 1, 'still alive just before the new expiry')
  h.advance(2_000)
  h.server.tick()
  t.equal(h.server.table.size, 0, 'gone after it')
})

t.test('an allocation that is not refreshed expires after its lifetime', async (t) => {
  const h = harness()
  const tuple = udpTuple()
  const deleted: string[] = []
  h.server.events.on('allocation-deleted', (_info, cause) => deleted.push(cause))
  await h.allocate(tuple, await h.login(tuple))
  h.advance(599_999)
  t.notOk(h.server.tick().some((a) => a.type === 'close-relay'))
  h.advance(1)
  t.ok(h.server.tick().some((a) => a.type === 'close-relay'), 'the relayed socket is closed')
  t.same(deleted, ['expired'])
})

t.test('a Refresh with LIFETIME 0 deletes the allocation', async (t) => {
  const h = harness()
  const tuple = udpTuple()
  const cred = await h.login(tuple)
  await h.allocate(tuple, cred)
  const actions = await h.send(tuple, request(Method.Refresh, [lifetime(0)], cred))
  t.ok(actions.some((a) => a.type === 'close-relay'))
  t.equal(h.server.table.size, 0)
  t.equal(errorCodeOf(await h.ask(tuple, request(Method.Refresh, [lifetime(0)], cred))), 437, 'nothing left to refresh')
})

t.test('a release (LIFETIME 0) is answered in the same turn, without a promise', async (t) => {
  const h = harness()
  const tuple = udpTuple()
  const cred = await h.login(tuple)
  await h.allocate(tuple, cred)
  const result = h.server.handleClientPacket(tuple, request(Method.Refresh, [lifetime(0)], cred))
  t.ok(Array.isArray(result), 'actions, not a promise of them')
  t.ok((result as { type: string }[]).some((a) => a.type === 'close-relay'))
  t.equal(h.server.table.size, 0)
})

t.test('a Refresh is capped at 3600 s and defaults to 600 s', async (t) => {
  const h = harness()
  const tuple = udpTuple()
  const cred = await h.login(tuple)
  await h.allocate(tuple, cred)
  const capped = await h.ask(tuple, request(Method.Refresh, [lifetime(7200)], cred))
  t.equal(decodeLifetime(getAttribute(capped, Attr.Lifetime)!.value), 3600)
  const dflt = await h.ask(tuple, request(Method.Refresh, [], cred))
  t.equal(decodeLifetime(getAttribute(dflt, Attr.Lifetime)!.value), 600)
})

t.test('a Refresh without an allocation is 437, and with other credentials is 441', async (t) => {
  const h = harness()
  const tuple = udpTuple()
  const cred = await h.login(tuple)
  t.equal(errorCodeOf(await h.ask(tuple, request(Method.Refresh, [], cred))), 437)
  await h.allocate(tuple, cred)
  const other = { ...cred, ...h.credential('m1', 'mallory') }
  t.equal(errorCodeOf(await h.ask(tuple, request(Method.Refresh, [], other))), 441)
})

t.test('a Refresh asking for another address family is 443', async (t) => {
  const h = harness()
  const tuple = udpTuple()
  const cred = await h.login(tuple)
  await h.allocate(tuple, cred)
  const v6 = { type: Attr.RequestedAddressFamily, value: encodeRequestedAddressFamily(6) }
  t.equal(errorCodeOf(await h.ask(tuple, request(Method.Refresh, [v6], cred))), 443)
})
