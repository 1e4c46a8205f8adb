import t from 'tap'

import {
  Attr,
  MessageClass,
  Method,
  decodeChannelData,
  decodeMessage,
  decodeXorAddress,
  encodeChannelNumber,
  getAttribute,
} from '../../../relay/proto/index.js'
import { harness, udpTuple } from '../../support/server-harness.js'
import { peerAttr, request } from '../../support/stun-builder.js'

const TXN = Buffer.alloc(12, 3)

async function allocated(transport: 'udp' | 'tcp' = 'udp', bandwidth?: number) {
  const h = harness(bandwidth ? { quotas: { bandwidthBytesPerSecond: bandwidth } } : {})
  const tuple = udpTuple(40000, '192.0.2.1', transport)
  const cred = await h.login(tuple)
  await h.allocate(tuple, cred)
  await h.ask(tuple, request(Method.CreatePermission, [peerAttr('198.51.100.7', 1, TXN)], cred, TXN))
  return { h, tuple, cred, a: [...h.server.table.values()][0]! }
}

t.test('data from a permitted peer without a channel reaches the client as a Data indication', async (t) => {
  const { h, a } = await allocated()
  const out = h.server.fromPeer(a, '198.51.100.7', 7000, Buffer.from('pong'))
  t.ok(Buffer.isBuffer(out))
  const msg = decodeMessage(out as Buffer)
  t.equal(msg.method, Method.Data)
  t.equal(msg.cls, MessageClass.Indication)
  t.same(decodeXorAddress(getAttribute(msg, Attr.XorPeerAddress)!.value, msg.transactionId), { family: 4, address: '198.51.100.7', port: 7000 })
  t.equal(getAttribute(msg, Attr.Data)!.value.toString(), 'pong')
})

t.test('data from a peer without a permission is dropped', async (t) => {
  const { h, a } = await allocated()
  t.equal(h.server.fromPeer(a, '198.51.100.99', 7000, Buffer.from('x')), 'no-permission')
})

t.test('data from a peer with a channel is ChannelData, padded to 4 bytes on TCP only', async (t) => {
  for (const transport of ['udp', 'tcp'] as const) {
    const { h, tuple, cred, a } = await allocated(transport)
    await h.ask(tuple, request(Method.ChannelBind, [{ type: Attr.ChannelNumber, value: encodeChannelNumber(0x4abc) }, peerAttr('198.51.100.7', 7000, TXN)], cred, TXN))
    const frame = h.server.fromPeer(a, '198.51.100.7', 7000, Buffer.from('hello')) as Buffer
    t.equal(frame.length, transport === 'tcp' ? 12 : 9, `${transport} frame length`)
    const cd = decodeChannelData(frame)
    t.equal(cd.channel, 0x4abc)
    t.equal(cd.data.toString(), 'hello')
    t.ok(Buffer.isBuffer(h.server.fromPeer(a, '198.51.100.7', 7001, Buffer.from('x'))), 'another port of the same IP still has the permission')
    t.equal(decodeMessage(h.server.fromPeer(a, '198.51.100.7', 7001, Buffer.from('x')) as Buffer).method, Method.Data, 'but no channel')
  }
})

t.test('the per-allocation token bucket drops what exceeds the bandwidth and counts it', async (t) => {
  const { h, a } = await allocated('udp', 1000)
  const drops: Array<[string, number]> = []
  h.server.events.on('dropped', (reason, count) => drops.push([reason, count]))
  const big = Buffer.alloc(400)
  t.ok(Buffer.isBuffer(h.server.fromPeer(a, '198.51.100.7', 1, big)))
  t.ok(Buffer.isBuffer(h.server.fromPeer(a, '198.51.100.7', 1, big)))
  t.equal(h.server.fromPeer(a, '198.51.100.7', 1, big), 'bandwidth', 'the third 400 bytes in the same instant exceed 1000 B/s')
  h.advance(400)
  t.ok(Buffer.isBuffer(h.server.fromPeer(a, '198.51.100.7', 1, big)), 'refilled after 400 ms')
  h.advance(1000)
  h.server.tick()
  t.same(drops, [['bandwidth', 1]])
})

t.test('relayed bytes are reported in batches, including those of deleted allocations', async (t) => {
  const { h, tuple, cred, a } = await allocated()
  const batches: unknown[] = []
  h.server.events.on('bytes-relayed', (c) => batches.push(c))
  h.server.fromPeer(a, '198.51.100.7', 1, Buffer.alloc(100))
  h.server.fromPeer(a, '198.51.100.7', 1, Buffer.alloc(50))
  t.same(batches, [], 'nothing per packet')
  await h.send(tuple, request(Method.Refresh, [{ type: Attr.Lifetime, value: Buffer.alloc(4) }], cred))
  h.advance(1000)
  h.server.tick()
  t.same(batches, [{ toPeerBytes: 0, toPeerPackets: 0, toClientBytes: 150, toClientPackets: 2 }])
})
