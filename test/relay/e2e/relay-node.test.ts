import t, { type Test } from 'tap'

import { mintTurnCredential } from '../../../relay/auth/index.js'
import { startRelayNode, type RelayNode } from '../../../relay/relay-node.js'
import { newMeetingId, newParticipantId } from '../../../state/meeting-id.js'
import { TurnClient, TurnError, echoPeer } from '../../support/turn-client.js'

const SECRET = 'e2e-secret-0123456789'

async function relay(t: Test, extra: Partial<Parameters<typeof startRelayNode>[0]> = {}): Promise<RelayNode> {
  const node = await startRelayNode({ listen: ['127.0.0.1:0'], secrets: [SECRET], allowPeers: ['127.0.0.0/8'], metrics: '127.0.0.1:0', ...extra })
  t.teardown(() => node.close())
  return node
}

function credential(meetingId = newMeetingId('test'), participantId = newParticipantId()) {
  return mintTurnCredential({ secret: SECRET, meetingId, participantId, ttlSeconds: 600, now: Date.now })
}

async function client(t: Test, node: RelayNode, transport: 'udp' | 'tcp', cred = credential()): Promise<TurnClient> {
  const addr = node.addresses.find((a) => a.transport === transport)!
  const c = await TurnClient.connect({ transport, host: addr.host, port: addr.port, username: cred.username, password: cred.password })
  t.teardown(() => c.close())
  return c
}


for (const transport of ['udp', 'tcp'] as const) {
  t.test(`over ${transport}: allocate, permit, channel-bind and relay both ways to an echo peer`, async (t) => {
    const node = await relay(t)
    const peer = await echoPeer('127.0.0.2')
    t.teardown(() => peer.close())
    const c = await client(t, node, transport)
    const { relayed, mapped, lifetime } = await c.allocate()
    t.equal(relayed.address, '127.0.0.1')
    t.equal(mapped.port, c.localPort)
    t.equal(lifetime, 600)

    await c.createPermission(peer.address)
    c.sendIndication(peer.address, Buffer.from('via send indication'))
    const viaData = await c.nextData()
    t.equal(viaData.data.toString(), 'via send indication', 'echoed back as a Data indication')
    t.same(viaData.peer, peer.address)

    await c.channelBind(0x4001, peer.address)
    for (const size of [1, 3, 100, 1200]) {
      const payload = Buffer.alloc(size, size & 0xff)
      c.sendChannelData(0x4001, payload)
      const back = await c.nextData((r) => r.channel === 0x4001)
      t.same(back.data, payload, `${size} bytes went round through the channel`)
    }
    t.equal(peer.received, 5)
  })
}

t.test('a peer outside the allowed ranges is refused with 403 even on loopback', async (t) => {
  const node = await relay(t, { allowPeers: ['127.0.0.2/32'] })
  const c = await client(t, node, 'udp')
  await c.allocate()
  await c.createPermission({ family: 4, address: '127.0.0.2', port: 9 })
  const err = await c.createPermission({ family: 4, address: '127.0.0.3', port: 9 }).catch((e: unknown) => e)
  t.ok(err instanceof TurnError && err.code === 403)
  const meta = await c.channelBind(0x4000, { family: 4, address: '169.254.169.254', port: 80 }).catch((e: unknown) => e)
  t.ok(meta instanceof TurnError && meta.code === 403, 'cloud metadata is refused')
  const body = await (await fetch(`${node.metricsUrl}/metrics`)).text()
  t.match(body, /sovereign_relay_permission_denied_total\{method="create-permission",reason="peer_denied_range"\} 1\b/, 'denials are counted by reason')
  t.match(body, /sovereign_relay_permission_denied_total\{method="channel-bind",reason="peer_denied_range"\} 1\b/)
})

t.test('revoking a participant drops its allocations at once; others keep relaying', async (t) => {
  const node = await relay(t)
  const peer = await echoPeer('127.0.0.2')
  t.teardown(() => peer.close())
  const meetingId = newMeetingId('test')
  const alice = await client(t, node, 'udp', credential(meetingId, 'alice'))
  const bob = await client(t, node, 'udp', credential(meetingId, 'bob'))
  for (const c of [alice, bob]) {
    await c.allocate()
    await c.channelBind(0x4000, peer.address)
  }
  node.sockets.execute(node.server.revoke({ meetingId, participantId: 'alice' }))
  t.equal(node.server.table.size, 1)
  const gone = await alice.refresh().catch((e: unknown) => e)
  t.ok(gone instanceof TurnError && gone.code === 437, 'alice has no allocation any more')
  bob.sendChannelData(0x4000, Buffer.from('still here'))
  t.equal((await bob.nextData()).data.toString(), 'still here')
})

t.test('a draining relay refuses new allocations with 508 while existing ones keep flowing; /readyz says so', async (t) => {
  const node = await relay(t)
  const peer = await echoPeer('127.0.0.2')
  t.teardown(() => peer.close())
  const old = await client(t, node, 'udp')
  await old.allocate()
  await old.channelBind(0x4000, peer.address)
  t.equal((await fetch(`${node.metricsUrl}/readyz`)).status, 200)
  node.drain()
  t.equal((await fetch(`${node.metricsUrl}/readyz`)).status, 503)
  const fresh = await client(t, node, 'udp')
  const err = await fresh.allocate().catch((e: unknown) => e)
  t.ok(err instanceof TurnError && err.code === 508)
  old.sendChannelData(0x4000, Buffer.from('draining'))
  t.equal((await old.nextData()).data.toString(), 'draining')
  t.equal(await old.refresh(), 600, 'and refreshing')
})

t.test('a TCP stream of bytes that frame neither STUN nor ChannelData is closed without harming the relay', async (t) => {
  const node = await relay(t)
  const bad = await client(t, node, 'tcp')
  const closed = new Promise<void>((resolve) => {
    const check = setInterval(() => {
      if (bad.closedByServer) {
        clearInterval(check)
        resolve()
      }
    }, 5)
  })
  bad.raw(Buffer.from('deadbeefcafebabe0102030405060708', 'hex'))
  await closed
  t.ok(bad.closedByServer)
  t.equal(node.sockets.stats.tcpClosedForGarbage, 1)
  const good = await client(t, node, 'tcp')
  t.ok((await good.allocate()).relayed, 'the relay still serves')
})

t.test('an oversized half-frame on TCP is bounded: the connection is closed, not buffered forever', async (t) => {
  const node = await relay(t)
  const bad = await client(t, node, 'tcp')
  // A ChannelData header announcing 65535 bytes, then a trickle that never completes it
  // is legal; what is not is garbage after a STUN header claiming an impossible length.
  const header = Buffer.alloc(20)
  header.writeUInt16BE(0x0001, 0)
  header.writeUInt16BE(0xfffc, 2)
  header.writeUInt32BE(0x2112a442, 4)
  bad.raw(header)
  bad.raw(Buffer.alloc(70_000, 0xab))
  await new Promise<void>((resolve) => {
    const check = setInterval(() => {
      if (bad.closedByServer) {
        clearInterval(check)
        resolve()
      }
    }, 5)
  })
  t.ok(bad.closedByServer)
})

t.test('a TCP connection that opens with anything but a STUN request (an HTTP probe) is closed at once', async (t) => {
  const node = await relay(t)
  const probe = await client(t, node, 'tcp')
  // "GE" reads as a ChannelData header announcing ~0x5420 bytes: without the first-frame
  // rule it would sit buffered until the idle timeout (60 s).
  probe.raw(Buffer.from('GET / HTTP/1.1\r\nHost: relay\r\n\r\n'))
  await new Promise<void>((resolve) => {
    const check = setInterval(() => {
      if (probe.closedByServer) {
        clearInterval(check)
        resolve()
      }
    }, 5)
  })
  t.ok(probe.closedByServer)
  t.equal(node.sockets.stats.tcpClosedForGarbage, 1)
})

t.test('/metrics shows allocations, requests and relayed bytes; /healthz answers', async (t) => {
  const node = await relay(t)
  const peer = await echoPeer('127.0.0.2')
  t.teardown(() => peer.close())
  const c = await client(t, node, 'udp')
  await c.allocate()
  await c.channelBind(0x4000, peer.address)
  c.sendChannelData(0x4000, Buffer.alloc(500))
  await c.nextData()
  t.equal(await (await fetch(`${node.metricsUrl}/healthz`)).text(), 'ok\n')
  const body = await (await fetch(`${node.metricsUrl}/metrics`)).text()
  t.match(body, /sovereign_relay_allocations 1\b/)
  t.match(body, /sovereign_relay_allocations_created_total\{transport="udp"\} 1\b/)
  t.match(body, /sovereign_relay_requests_total\{method="allocate",code="401"\} 1\b/)
  t.match(body, /sovereign_relay_relayed_bytes_total\{direction="to_peer"\} 500\b/)
  t.match(body, /sovereign_relay_relayed_bytes_total\{direction="to_client"\} 500\b/)
  t.notMatch(body, /test\./, 'no meeting ids in labels')
})

t.test('IPv6: a relay listening on [::1] relays for an IPv6 client', async (t) => {
  // ::1 is the only IPv6 loopback address: the peer shares the relay's address, and the
  // TURN hairpin guard refuses ports of the relay's addresses outside its relayed range.
  // The range covers every unprivileged port here, so the peer's ephemeral port is in it.
  const node = await relay(t, { listen: ['[::1]:0'], allowPeers: ['::1/128'], ports: { min: 1024, max: 65535 } })
  const peer = await echoPeer('::1')
  t.teardown(() => peer.close())
  const c = await client(t, node, 'udp')
  const { relayed } = await c.allocate([{ type: 0x0017, value: Buffer.from([0x02, 0, 0, 0]) }])
  t.equal(relayed.address, '::1')
  await c.channelBind(0x4000, peer.address)
  c.sendChannelData(0x4000, Buffer.from('v6'))
  t.equal((await c.nextData()).data.toString(), 'v6')
})

t.test('a relay asked to prewarm runs its throwaway allocations before it listens, then serves as any other', async (t) => {
  const node = await relay(t, { prewarm: 200 })
  t.equal(node.prewarm?.allocations, 200, 'every throwaway allocation was made and released')
  t.equal(node.server.table.size, 0, 'none of them is in the relay\'s own table')
  const c = await client(t, node, 'udp')
  t.equal((await c.allocate()).relayed.address, '127.0.0.1')
  t.equal(node.server.table.size, 1)
  t.equal((await relay(t)).prewarm, undefined, 'no prewarm unless asked')
})
