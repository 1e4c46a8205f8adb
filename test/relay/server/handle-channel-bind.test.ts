import t from 'tap'

import { Attr, MessageClass, Method, encodeChannelNumber, type AttributeInput } from '../../../relay/proto/index.js'
import type { Action } from '../../../relay/server/index.js'
import { harness, udpTuple } from '../../support/server-harness.js'
import { errorCodeOf, peerAttr, request } from '../../support/stun-builder.js'

const TXN = Buffer.alloc(12, 9)
const channel = (n: number): AttributeInput => ({ type: Attr.ChannelNumber, value: encodeChannelNumber(n) })
const bind = (n: number, address: string, port: number, cred: Parameters<typeof request>[2]): Buffer =>
  request(Method.ChannelBind, [channel(n), peerAttr(address, port, TXN)], cred, TXN)
const channelData = (n: number, payload: string): Buffer => {
  const b = Buffer.alloc(4 + payload.length)
  b.writeUInt16BE(n, 0)
  b.writeUInt16BE(payload.length, 2)
  b.write(payload, 4)
  return b
}

async function setup() {
  const h = harness()
  const tuple = udpTuple()
  const cred = await h.login(tuple)
  await h.allocate(tuple, cred)
  return { h, tuple, cred }
}

t.test('ChannelBind binds a channel: ChannelData reaches the peer and the permission is installed', async (t) => {
  const { h, tuple, cred } = await setup()
  t.equal((await h.ask(tuple, bind(0x4000, '198.51.100.7', 6000, cred))).cls, MessageClass.SuccessResponse)
  const [out] = (await h.send(tuple, channelData(0x4000, 'hello'))) as [Extract<Action, { type: 'send-peer' }>]
  t.equal(out.type, 'send-peer')
  t.same(out.peer, { family: 4, address: '198.51.100.7', port: 6000 })
  t.equal(out.data.toString(), 'hello')
  const a = [...h.server.table.values()][0]!
  t.ok(a.permissions.has('198.51.100.7'))
})

t.test('channel numbers outside 0x4000–0x7FFF and a missing peer are 400', async (t) => {
  const { h, tuple, cred } = await setup()
  t.equal(errorCodeOf(await h.ask(tuple, bind(0x3fff, '198.51.100.7', 6000, cred))), 400)
  t.equal(errorCodeOf(await h.ask(tuple, bind(0x8000, '198.51.100.7', 6000, cred))), 400)
  t.equal(errorCodeOf(await h.ask(tuple, bind(0xffff, '198.51.100.7', 6000, cred))), 400)
  t.equal(errorCodeOf(await h.ask(tuple, request(Method.ChannelBind, [channel(0x4001)], cred))), 400)
})

t.test('channels 0x5000 through 0x7FFF (RFC 5766, as coturn and libwebrtc bind) are bound and carry ChannelData', async (t) => {
  const { h, tuple, cred } = await setup()
  for (const [n, port] of [[0x5000, 6000], [0x7fff, 6001]] as const) {
    t.equal((await h.ask(tuple, bind(n, '198.51.100.7', port, cred))).cls, MessageClass.SuccessResponse, `0x${n.toString(16)} is bound`)
    const [out] = (await h.send(tuple, channelData(n, 'hi'))) as [Extract<Action, { type: 'send-peer' }>]
    t.same(out.peer, { family: 4, address: '198.51.100.7', port }, `ChannelData on 0x${n.toString(16)} reaches its peer`)
  }
})

t.test('rebinding: the same pair refreshes, a bound number to another peer or a bound peer to another number is 400', async (t) => {
  const { h, tuple, cred } = await setup()
  await h.ask(tuple, bind(0x4000, '198.51.100.7', 6000, cred))
  t.equal((await h.ask(tuple, bind(0x4000, '198.51.100.7', 6000, cred))).cls, MessageClass.SuccessResponse)
  t.equal(errorCodeOf(await h.ask(tuple, bind(0x4000, '198.51.100.8', 6000, cred))), 400, 'number taken by another peer')
  t.equal(errorCodeOf(await h.ask(tuple, bind(0x4000, '198.51.100.7', 6001, cred))), 400, 'another port is another peer')
  t.equal(errorCodeOf(await h.ask(tuple, bind(0x4001, '198.51.100.7', 6000, cred))), 400, 'peer taken by another number')
})

t.test('a channel to a denied peer is 403 and for another family 443', async (t) => {
  const { h, tuple, cred } = await setup()
  t.equal(errorCodeOf(await h.ask(tuple, bind(0x4000, '10.0.0.1', 6000, cred))), 403)
  t.equal(errorCodeOf(await h.ask(tuple, bind(0x4000, '2001:db8::1', 6000, cred))), 443)
})

t.test('a channel binding expires after 600 s; ChannelData on it is then dropped as unbound', async (t) => {
  const { h, tuple, cred } = await setup()
  await h.ask(tuple, bind(0x4000, '198.51.100.7', 6000, cred))
  const keepAlive = async (): Promise<void> => {
    await h.ask(tuple, request(Method.Refresh, [], cred)) // the allocation itself
    await h.ask(tuple, request(Method.CreatePermission, [peerAttr('198.51.100.7', 5000, TXN)], cred, TXN)) // and the permission
  }
  h.advance(290_000)
  await keepAlive()
  h.advance(290_000)
  await keepAlive()
  h.advance(19_000)
  t.same((await h.send(tuple, channelData(0x4000, 'x'))).map((a) => a.type), ['send-peer'], 'at 599 s still bound')
  h.advance(1_000)
  h.server.tick()
  t.same(await h.send(tuple, channelData(0x4000, 'x')), [{ type: 'drop', reason: 'no-channel' }], 'at 600 s unbound')
})
