/**
 * Send indications (RFC 8656 §10.2) and the TURN hairpin guard: a permission is per IP,
 * so a permission for a relay's address must not carry data to its service ports — the
 * port each indication names is checked, the drop counted, and the first refusals per
 * allocation reported to the policy hook (audit) and as `permission-denied`.
 */
import t from 'tap'

import type { Verdict } from '../../../geo/verdict.js'
import { Attr, Method, encodeChannelNumber, encodeXorAddress } from '../../../relay/proto/index.js'
import { RelayServices } from '../../../relay/peer-safety/relay-services.js'
import type { PeerContext, RelayPolicy } from '../../../relay/policy.js'
import { openPolicy } from '../../../relay/policy.js'
import { harness, udpTuple } from '../../support/server-harness.js'
import { errorCodeOf, indication, peerAttr, request } from '../../support/stun-builder.js'

const TXN = Buffer.alloc(12, 7)
const sendTo = (address: string, port: number, data = 'x'): Buffer =>
  indication(Method.Send, [{ type: Attr.XorPeerAddress, value: encodeXorAddress({ family: 4, address, port }, TXN) }, { type: Attr.Data, value: Buffer.from(data) }], TXN)

async function setup() {
  const relayServices = new RelayServices()
  relayServices.setOwn({ id: 'eu-r1', addresses: ['198.51.100.50'], servicePorts: [3478, 9090], relayPorts: { min: 50000, max: 50099 } })
  const refused: { ctx: PeerContext; verdict: Verdict }[] = []
  const policy: RelayPolicy = { ...openPolicy, peerRefused: (ctx, verdict) => refused.push({ ctx, verdict }) }
  const h = harness({ relayServices, policy })
  const tuple = udpTuple()
  const cred = await h.login(tuple)
  await h.allocate(tuple, cred)
  const denied: string[] = []
  h.server.events.on('permission-denied', (e) => denied.push(`${e.method}:${e.reason}`))
  return { h, tuple, cred, refused, denied }
}

t.test('a permission for a relay\'s address carries Send indications to its relayed ports only', async (t) => {
  const { h, tuple, cred, refused, denied } = await setup()
  await h.ask(tuple, request(Method.CreatePermission, [peerAttr('198.51.100.50', 50001, TXN)], cred, TXN))
  t.same((await h.send(tuple, sendTo('198.51.100.50', 50001))).map((a) => a.type), ['send-peer'], 'a relayed transport address')
  t.same(await h.send(tuple, sendTo('198.51.100.50', 3478)), [{ type: 'drop', reason: 'relay-service' }], 'the TURN listener')
  t.same(await h.send(tuple, sendTo('198.51.100.50', 9090)), [{ type: 'drop', reason: 'relay-service' }], 'the metrics listener')
  t.same(await h.send(tuple, sendTo('198.51.100.50', 22)), [{ type: 'drop', reason: 'relay-service' }], 'a port outside the relayed range')
  t.same(denied, ['send:peer_is_relay_service', 'send:peer_is_relay_service', 'send:peer_is_relay_service'])
  t.same(refused.map((r) => [r.ctx.via, r.ctx.peerPort, r.verdict.reason]), [['send', 3478, 'peer_is_relay_service'], ['send', 9090, 'peer_is_relay_service'], ['send', 22, 'peer_is_relay_service']])
})

t.test('repeated refusals of one peer are reported once, then only counted', async (t) => {
  const { h, tuple, cred, refused } = await setup()
  await h.ask(tuple, request(Method.CreatePermission, [peerAttr('198.51.100.50', 50001, TXN)], cred, TXN))
  const drops: number[] = []
  h.server.events.on('dropped', (reason, n) => { if (reason === 'relay-service') drops.push(n) })
  for (let i = 0; i < 5; i++) await h.send(tuple, sendTo('198.51.100.50', 3478))
  h.server.flush()
  t.equal(refused.length, 1, 'reported once')
  t.same(drops, [5], 'every drop counted')
  for (let port = 1; port <= 40; port++) await h.send(tuple, sendTo('198.51.100.50', port))
  t.ok(refused.length <= 16, `a port scan reports at most 16 peers per allocation (${refused.length})`)
})

t.test('CreatePermission and ChannelBind to a relay service are 403 and reported to the hook', async (t) => {
  const { h, tuple, cred, refused } = await setup()
  t.equal(errorCodeOf(await h.ask(tuple, request(Method.CreatePermission, [peerAttr('198.51.100.50', 3478, TXN)], cred, TXN))), 403)
  t.equal(errorCodeOf(await h.ask(tuple, request(Method.ChannelBind, [{ type: Attr.ChannelNumber, value: encodeChannelNumber(0x4000) }, peerAttr('198.51.100.50', 9090, TXN)], cred, TXN))), 403)
  t.same(refused.map((r) => [r.ctx.via, r.ctx.peerPort, r.verdict.reason]), [['create-permission', 3478, 'peer_is_relay_service'], ['channel-bind', 9090, 'peer_is_relay_service']])
})

t.test('a denied peer range refused by the server is reported to the hook too', async (t) => {
  const { h, tuple, cred, refused } = await setup()
  await h.ask(tuple, request(Method.CreatePermission, [peerAttr('10.0.0.1', 5000, TXN)], cred, TXN))
  t.same(refused.map((r) => [r.ctx.via, r.ctx.peerAddress, r.verdict.reason]), [['create-permission', '10.0.0.1', 'peer_denied_range']])
})
