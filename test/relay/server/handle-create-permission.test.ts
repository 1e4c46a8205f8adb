import t from 'tap'

import { allow, deny } from '../../../geo/verdict.js'
import { Attr, MessageClass, Method } from '../../../relay/proto/index.js'
import { harness, udpTuple } from '../../support/server-harness.js'
import { errorCodeOf, indication, peerAttr, request } from '../../support/stun-builder.js'

const TXN = Buffer.alloc(12, 9)
const sendTo = (address: string, data = Buffer.from('hi')): Buffer =>
  indication(Method.Send, [peerAttr(address, 5000, TXN), { type: Attr.Data, value: data }], TXN)

t.test('CreatePermission installs permissions for every XOR-PEER-ADDRESS and data may flow', async (t) => {
  const h = harness()
  const tuple = udpTuple()
  const cred = await h.login(tuple)
  await h.allocate(tuple, cred)
  t.same((await h.send(tuple, sendTo('198.51.100.7'))).map((a) => a.type), ['drop'], 'no permission yet')
  const res = await h.ask(tuple, request(Method.CreatePermission, [peerAttr('198.51.100.7', 1, TXN), peerAttr('198.51.100.8', 1, TXN)], cred, TXN))
  t.equal(res.cls, MessageClass.SuccessResponse)
  t.same((await h.send(tuple, sendTo('198.51.100.7'))).map((a) => a.type), ['send-peer'])
  t.same((await h.send(tuple, sendTo('198.51.100.8'))).map((a) => a.type), ['send-peer'])
})

t.test('a permission lasts 300 s unless refreshed', async (t) => {
  const h = harness()
  const tuple = udpTuple()
  const cred = await h.login(tuple)
  await h.allocate(tuple, cred)
  await h.ask(tuple, request(Method.CreatePermission, [peerAttr('198.51.100.7', 5000, TXN)], cred, TXN))
  h.advance(299_000)
  t.same((await h.send(tuple, sendTo('198.51.100.7'))).map((a) => a.type), ['send-peer'])
  h.advance(1_000)
  t.same((await h.send(tuple, sendTo('198.51.100.7'))).map((a) => a.type), ['drop'])
})

t.test('CreatePermission without XOR-PEER-ADDRESS is 400 and for the other family 443', async (t) => {
  const h = harness()
  const tuple = udpTuple()
  const cred = await h.login(tuple)
  await h.allocate(tuple, cred)
  t.equal(errorCodeOf(await h.ask(tuple, request(Method.CreatePermission, [], cred))), 400)
  t.equal(errorCodeOf(await h.ask(tuple, request(Method.CreatePermission, [peerAttr('2001:db8::7', 5000, TXN)], cred, TXN))), 443)
  t.equal(errorCodeOf(await h.ask(tuple, request(Method.CreatePermission, [{ type: Attr.XorPeerAddress, value: Buffer.alloc(3) }], cred))), 400, 'malformed')
})

t.test('a denied peer range is 403, counted, and installs nothing — not even the allowed peers of the same request', async (t) => {
  const h = harness()
  const tuple = udpTuple()
  const denied: string[] = []
  h.server.events.on('permission-denied', (e) => denied.push(`${e.method}:${e.reason}`))
  const cred = await h.login(tuple)
  await h.allocate(tuple, cred)
  const res = await h.ask(tuple, request(Method.CreatePermission, [peerAttr('198.51.100.7', 5000, TXN), peerAttr('10.0.0.1', 5000, TXN)], cred, TXN))
  t.equal(errorCodeOf(res), 403)
  t.same(denied, ['create-permission:peer_denied_range'])
  t.same((await h.send(tuple, sendTo('198.51.100.7'))).map((a) => a.type), ['drop'])
})

t.test('the policy hook is consulted for peers after peer safety', async (t) => {
  const asked: string[] = []
  const h = harness({
    policy: {
      allocation: () => allow('home_region'),
      peer: (ctx) => {
        asked.push(ctx.peerAddress)
        return ctx.peerAddress === '198.51.100.66' ? deny('peer_not_in_meeting') : allow('peer_is_admitted_endpoint')
      },
    },
  })
  const tuple = udpTuple()
  const cred = await h.login(tuple)
  await h.allocate(tuple, cred)
  t.equal(errorCodeOf(await h.ask(tuple, request(Method.CreatePermission, [peerAttr('198.51.100.66', 5000, TXN)], cred, TXN))), 403)
  t.equal(errorCodeOf(await h.ask(tuple, request(Method.CreatePermission, [peerAttr('10.1.1.1', 5000, TXN)], cred, TXN))), 403)
  t.equal((await h.ask(tuple, request(Method.CreatePermission, [peerAttr('198.51.100.5', 5000, TXN)], cred, TXN))).cls, MessageClass.SuccessResponse)
  t.same(asked, ['198.51.100.66', '198.51.100.5'], 'a peer-safety denial never reaches the hook')
})

t.test('CreatePermission without an allocation is 437 and with other credentials 441', async (t) => {
  const h = harness()
  const tuple = udpTuple()
  const cred = await h.login(tuple)
  t.equal(errorCodeOf(await h.ask(tuple, request(Method.CreatePermission, [peerAttr('198.51.100.7', 5000, TXN)], cred, TXN))), 437)
  await h.allocate(tuple, cred)
  t.equal(errorCodeOf(await h.ask(tuple, request(Method.CreatePermission, [peerAttr('198.51.100.7', 5000, TXN)], { ...cred, ...h.credential('m9', 'x') }, TXN))), 441)
})
