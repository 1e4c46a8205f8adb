/**
 * The native data path over real loopback sockets: ChannelData forwarded by the engine
 * both ways on several data threads, removals (revocation, permission expiry) that
 * take effect before the next batch while a flood is running, the bandwidth limit
 * enforced in C++ (one bucket with the TurnServer's Send indications), bursts that leave
 * grouped per socket and as UDP GSO (IPv4 and IPv6), and malformed ChannelData that is
 * dropped and counted.
 */
import dgram from 'node:dgram'

import t, { type Test } from 'tap'

import { mintTurnCredential } from '../../../relay/auth/index.js'
import { loadEngine, type DataThreadStats } from '../../../relay/native/index.js'
import { startRelayNode, type RelayNode, type RelayNodeOptions } from '../../../relay/relay-node.js'
import type { TransportAddress } from '../../../relay/server/index.js'
import { newMeetingId, newParticipantId } from '../../../state/meeting-id.js'
import { TurnClient, echoPeer } from '../../support/turn-client.js'

const SECRET = 'native-secret-0123456789'
const load = loadEngine()
if (!load.ok) {
  t.comment(`the native addon is not loaded (${load.reason}): nothing to test on this machine`)
  t.pass('skipped: no native engine')
  t.end()
} else {
  suite()
}

async function relay(t: Test, extra: Partial<RelayNodeOptions> = {}): Promise<RelayNode> {
  const node = await startRelayNode({ listen: ['127.0.0.1:0'], secrets: [SECRET], allowPeers: ['127.0.0.0/8'], metrics: '127.0.0.1:0', dataPath: 'native', ...extra })
  t.teardown(() => node.close())
  return node
}

async function client(t: Test, node: RelayNode, meetingId = newMeetingId('test'), participantId = newParticipantId()): Promise<TurnClient> {
  const cred = mintTurnCredential({ secret: SECRET, meetingId, participantId, ttlSeconds: 600, now: Date.now })
  const udp = node.addresses.find((a) => a.transport === 'udp')!
  const c = await TurnClient.connect({ transport: 'udp', host: udp.host, port: udp.port, username: cred.username, password: cred.password })
  t.teardown(() => c.close())
  return c
}

/** A peer that only counts what it receives, by the sequence number in the first 4 bytes. */
async function countingPeer(t: Test, host = '127.0.0.2'): Promise<{ address: TransportAddress; seqs: number[]; fence(): Promise<void> }> {
  const s = dgram.createSocket('udp4')
  await new Promise<void>((resolve) => s.bind(0, host, () => resolve()))
  t.teardown(() => new Promise<void>((resolve) => s.close(() => resolve())))
  const seqs: number[] = []
  let fenceWaiter: (() => void) | undefined
  s.on('message', (m) => {
    if (m.length === 5 && m.toString() === 'fence') return fenceWaiter?.()
    if (m.length >= 4) seqs.push(m.readUInt32BE(0))
  })
  const address: TransportAddress = { family: 4, address: host, port: s.address().port }
  // The socket's queue is FIFO: once a datagram sent now is read, everything before it was.
  const fence = (): Promise<void> => new Promise((resolve) => {
    fenceWaiter = resolve
    const f = dgram.createSocket('udp4')
    f.send(Buffer.from('fence'), address.port, host, () => f.close())
  })
  return { address, seqs, fence }
}

/** Resolves once every datagram this client sent before has been read by the relay (a STUN round trip behind them). */
async function drained(c: TurnClient): Promise<void> {
  await c.exchange((await import('../../support/stun-builder.js')).request(0x0001))
}

function seq(n: number, size = 100): Buffer {
  const b = Buffer.alloc(size)
  b.writeUInt32BE(n, 0)
  return b
}

async function metrics(node: RelayNode): Promise<string> {
  return (await fetch(`${node.metricsUrl}/metrics`)).text()
}

function suite(): void {
  t.test('ChannelData is relayed both ways by the engine on several data threads', async (t) => {
    const node = await relay(t, { dataThreads: 4 })
    t.same(node.sockets.dataPath, { kind: 'native', threads: 4 })
    const peer = await echoPeer('127.0.0.2')
    t.teardown(() => peer.close())
    const clients: TurnClient[] = []
    for (let i = 0; i < 12; i++) {
      const c = await client(t, node)
      await c.allocate()
      await c.channelBind(0x4000 + i, peer.address)
      clients.push(c)
    }
    const before = node.sockets.dataThreadStats()
    for (let round = 0; round < 5; round++) {
      await Promise.all(clients.map(async (c, i) => {
        const payload = Buffer.from(`client ${i} round ${round}`)
        c.sendChannelData(0x4000 + i, payload)
        const back = await c.nextData((r) => r.channel === 0x4000 + i)
        t.same(back.data, payload)
      }))
    }
    const after = node.sockets.dataThreadStats()
    const busy = after.filter((s, i) => s.txPackets > before[i]!.txPackets)
    t.ok(busy.length >= 2, `${busy.length} of 4 data threads forwarded packets`)
    const forwarded = after.reduce((n, s, i) => n + s.txPackets - before[i]!.txPackets, 0)
    const handedUp = after.reduce((n, s, i) => n + s.handedUp - before[i]!.handedUp, 0)
    t.ok(forwarded >= 12 * 5 * 2, `the engine sent ${forwarded} datagrams itself (both legs of 60 round trips)`)
    t.equal(handedUp, 0, 'no ChannelData on a bound channel went through TypeScript')
    const body = await metrics(node)
    t.match(body, /sovereign_relay_relayed_packets_total\{direction="to_peer"\} 60\b/, 'the engine\'s counts reach the relay metrics exactly')
    t.match(body, /sovereign_relay_relayed_packets_total\{direction="to_client"\} 60\b/)
    t.match(body, /sovereign_relay_data_path_info\{path="native",threads="4"\} 1/)
    t.match(body, /sovereign_relay_data_thread_packets_total\{thread="3",direction="rx"\} \d+/)
    t.match(body, /sovereign_relay_data_thread_cpu_seconds_total\{thread="0"\} [\d.e-]+/)
  })

  t.test('a revocation during a ChannelData flood: nothing sent after it returns reaches the peer', async (t) => {
    const node = await relay(t, { dataThreads: 2 })
    const peer = await countingPeer(t)
    const meetingId = newMeetingId('test')
    const c = await client(t, node, meetingId, 'alice')
    await c.allocate()
    await c.channelBind(0x4000, peer.address)
    let sent = 0
    let revokedAt = -1
    await new Promise<void>((resolve) => {
      const burst = (): void => {
        for (let i = 0; i < 200; i++) c.sendChannelData(0x4000, seq(sent++))
        if (sent === 2000) {
          t.equal(node.revoke({ meetingId }), 1)
          revokedAt = sent
        }
        if (sent < 4000) setImmediate(burst)
        else resolve()
      }
      burst()
    })
    await peer.fence()
    t.ok(peer.seqs.length > 0, `${peer.seqs.length} datagrams were relayed before the revocation`)
    t.equal(peer.seqs.filter((n) => n >= revokedAt).length, 0, 'none sent after the revocation was relayed')
    t.equal(node.sockets.stats.relaySockets, 0)
  })

  t.test('an expired permission stops native forwarding at the next tick', async (t) => {
    let clock = Date.now()
    const node = await relay(t, { now: () => clock })
    const peer = await countingPeer(t)
    const c = await client(t, node)
    await c.allocate()
    await c.channelBind(0x4000, peer.address)
    for (let i = 0; i < 100; i++) c.sendChannelData(0x4000, seq(i))
    await drained(c)
    // RFC 8656 §9: a permission lasts 300 s; the channel (600 s) outlives it.
    clock += 301_000
    node.sockets.tick()
    for (let i = 100; i < 200; i++) c.sendChannelData(0x4000, seq(i))
    await drained(c)
    await peer.fence()
    t.ok(peer.seqs.some((n) => n < 100), 'relayed while permitted')
    t.equal(peer.seqs.filter((n) => n >= 100).length, 0, 'nothing after the permission expired')
    // A CreatePermission installs it again (the server decides, the engine follows).
    await c.createPermission(peer.address)
    c.sendChannelData(0x4000, seq(500))
    await drained(c)
    await peer.fence()
    t.ok(peer.seqs.includes(500), 'forwarded again once permitted')
  })

  t.test('the per-allocation bandwidth limit is enforced by the engine', async (t) => {
    const node = await relay(t, { quotas: { bandwidthBytesPerSecond: 10_000 } })
    const peer = await countingPeer(t)
    const c = await client(t, node)
    await c.allocate()
    await c.channelBind(0x4000, peer.address)
    const started = Date.now()
    for (let i = 0; i < 100; i++) c.sendChannelData(0x4000, seq(i, 1000))
    await drained(c)
    await peer.fence()
    const elapsed = (Date.now() - started) / 1000
    // One second's burst (10 packets of 1000 bytes) plus what refilled meanwhile.
    const allowed = 10 + Math.ceil(elapsed * 10) + 1
    t.ok(peer.seqs.length >= 5 && peer.seqs.length <= allowed, `${peer.seqs.length} of 100 passed (at most ${allowed} in ${elapsed.toFixed(2)} s)`)
    const dropped = node.sockets.dataThreadStats().reduce((n, s) => n + s.drops.bandwidth, 0)
    t.equal(dropped, 100 - peer.seqs.length, 'every other one was dropped natively')
    t.match(await metrics(node), new RegExp(`sovereign_relay_dropped_packets_total\\{reason="bandwidth"\\} ${dropped}\\b`))
  })

  t.test('a client mixing ChannelData and Send indications gets its bandwidth limit once: the engine keeps the one bucket', async (t) => {
    const node = await relay(t, { quotas: { bandwidthBytesPerSecond: 10_000 } })
    const peer = await countingPeer(t)
    const c = await client(t, node)
    await c.allocate()
    await c.channelBind(0x4000, peer.address)
    const started = Date.now()
    // First the server relays a second's worth as Send indications, then the engine gets
    // ChannelData: with one bucket it is empty by then (only the refill passes); with a
    // bucket each, ten more would pass.
    for (let i = 0; i < 10; i++) c.sendIndication(peer.address, seq(i, 1000))
    await drained(c)
    for (let i = 10; i < 20; i++) c.sendChannelData(0x4000, seq(i, 1000))
    await drained(c)
    await peer.fence()
    const refill = Math.ceil(((Date.now() - started) / 1000) * 10) + 1
    const viaSend = peer.seqs.filter((n) => n < 10).length
    const viaChannel = peer.seqs.length - viaSend
    t.equal(viaSend, 10, 'the Send indications took the burst')
    t.ok(viaChannel <= refill, `${viaChannel} of 10 ChannelData passed after them (at most ${refill} refilled meanwhile)`)
    const body = await metrics(node)
    const dropped = Number(/sovereign_relay_dropped_packets_total\{reason="bandwidth"\} (\d+)/.exec(body)?.[1] ?? -1)
    t.equal(dropped, 10 - viaChannel, 'the rest was dropped natively for bandwidth, counted')
  })

  for (const family of [4, 6] as const) t.test(`IPv${family}: bursts to one destination arrive whole, in order and counted once per datagram (sends grouped per socket, UDP GSO)`, async (t) => {
    // ::1 is the only IPv6 loopback address: the peers share the relay's, so the relayed
    // range must cover their ephemeral ports (the TURN hairpin guard).
    const peerHost = family === 4 ? '127.0.0.2' : '::1'
    const node = await relay(t, family === 4 ? {} : { listen: ['[::1]:0'], allowPeers: ['::1/128'], ports: { min: 1024, max: 65535 } })
    const c = await client(t, node)
    const { relayed } = await c.allocate(family === 4 ? [] : [{ type: 0x0017, value: Buffer.from([0x02, 0, 0, 0]) }])
    // Sizes that repeat, then shrink: runs of equal sizes (one GSO message each) ended by a shorter one.
    const size = (n: number): number => [300, 300, 300, 120, 400, 400, 64][n % 7]!
    const frame = (peerIndex: number, n: number): Buffer => {
      const b = Buffer.alloc(size(n), peerIndex)
      b.writeUInt32BE(n, 0)
      return b
    }
    const peers: dgram.Socket[] = []
    for (let p = 0; p < 6; p++) {
      const s = dgram.createSocket(family === 4 ? 'udp4' : 'udp6')
      await new Promise<void>((resolve) => s.bind(0, peerHost, () => resolve()))
      t.teardown(() => new Promise<void>((resolve) => s.close(() => resolve())))
      await c.channelBind(0x4000 + p, { family, address: peerHost, port: s.address().port })
      peers.push(s)
    }
    const before = node.sockets.dataThreadStats()
    const perPeer = 21
    // Peers → client: six relayed sockets, one client, all through the listener socket.
    for (let n = 0; n < perPeer; n++) for (const [p, s] of peers.entries()) s.send(frame(p, n), relayed.port, relayed.address)
    for (let p = 0; p < peers.length; p++) {
      for (let n = 0; n < perPeer; n++) {
        const r = await c.nextData((r) => r.channel === 0x4000 + p)
        if (!r.data.equals(frame(p, n))) return t.fail(`peer ${p} datagram ${n}: got ${r.data.length} bytes, seq ${r.data.readUInt32BE(0)}`)
      }
    }
    // Client → one peer: one relayed socket, one destination.
    const got: Buffer[] = []
    peers[0]!.on('message', (m) => got.push(m))
    for (let n = 0; n < 70; n++) c.sendChannelData(0x4000, frame(9, n))
    await drained(c)
    await new Promise((resolve) => setTimeout(resolve, 50))
    t.equal(got.length, 70, 'every datagram reached the peer')
    t.ok(got.every((m, n) => m.equals(frame(9, n))), 'in order, each with its own size and bytes')
    const after = node.sockets.dataThreadStats()
    const diff = (k: 'txPackets' | 'gsoMessages' | 'gsoDatagrams' | 'gsoFallbacks' | 'sendCalls'): number => after.reduce((n, s, i) => n + s[k] - before[i]![k], 0)
    t.equal(diff('txPackets'), peers.length * perPeer + 70, 'the engine counted each datagram once, GSO or not')
    t.comment(`${diff('sendCalls')} sendmmsg calls, ${diff('gsoMessages')} GSO messages carrying ${diff('gsoDatagrams')} datagrams, ${diff('gsoFallbacks')} fallbacks`)
    const body = await metrics(node)
    t.match(body, new RegExp(`sovereign_relay_relayed_packets_total\\{direction="to_client"\\} ${peers.length * perPeer}\\b`))
    t.match(body, /sovereign_relay_relayed_packets_total\{direction="to_peer"\} 70\b/)
  })

  for (const family of [4, 6] as const) t.test(`IPv${family}, relay to relay: a burst one relay sends as GSO arrives at the other as one GRO buffer and reaches its client datagram by datagram, whole and in order`, async (t) => {
    // Two relays, as when both participants of a call are on relays (relay/relay pairs): B's
    // burst leaves relay 2 as GSO messages to A's relayed address on relay 1, whose relayed
    // socket (UDP_GRO) takes each as one buffer. On IPv6 both share ::1, the one loopback
    // address; the hairpin guard lets a relay's address through on relayed ports only.
    const v6 = { listen: ['[::1]:0'], allowPeers: ['::1/128'], ports: { min: 1024, max: 65535 } }
    const r1 = await relay(t, family === 4 ? {} : v6)
    const r2 = await relay(t, family === 4 ? { listen: ['127.0.0.5:0'] } : v6)
    const a = await client(t, r1)
    const b = await client(t, r2)
    const inFamily = family === 4 ? [] : [{ type: 0x0017, value: Buffer.from([0x02, 0, 0, 0]) }] // REQUESTED-ADDRESS-FAMILY
    const { relayed: ra } = await a.allocate(inFamily)
    const { relayed: rb } = await b.allocate(inFamily)
    await a.channelBind(0x4000, rb)
    await b.channelBind(0x4001, ra)
    const size = (n: number): number => (n % 16 === 15 ? 300 : 900) // runs of equal sizes, each ended by a shorter one
    const frame = (n: number): Buffer => {
      const f = Buffer.alloc(size(n), n & 0xff)
      f.writeUInt32BE(n, 0)
      return f
    }
    const sum = (stats: readonly DataThreadStats[], k: 'groMessages' | 'groDatagrams' | 'gsoDatagrams' | 'txPackets'): number => stats.reduce((n, s) => n + s[k], 0)
    const before1 = r1.sockets.dataThreadStats()
    const before2 = r2.sockets.dataThreadStats()
    let sent = 0
    // Bursts until relay 2 has sent some as GSO (a wake-up of its data thread must find several
    // of B's datagrams waiting; the first burst nearly always does).
    for (let burst = 0; burst < 5 && sum(r2.sockets.dataThreadStats(), 'gsoDatagrams') === sum(before2, 'gsoDatagrams'); burst++) {
      for (let k = 0; k < 64; k++) b.sendChannelData(0x4001, frame(sent + k))
      for (let k = 0; k < 64; k++) {
        const r = await a.nextData((r) => r.channel === 0x4000)
        if (!r.data.equals(frame(sent + k))) return t.fail(`datagram ${sent + k}: got ${r.data.length} bytes, seq ${r.data.readUInt32BE(0)}`)
      }
      sent += 64
    }
    t.pass(`all ${sent} datagrams reached A whole and in order`)
    const after1 = r1.sockets.dataThreadStats()
    const after2 = r2.sockets.dataThreadStats()
    t.ok(sum(after2, 'gsoDatagrams') > sum(before2, 'gsoDatagrams'), 'relay 2 sent some of the bursts as GSO messages')
    const groDatagrams = sum(after1, 'groDatagrams') - sum(before1, 'groDatagrams')
    t.ok(sum(after1, 'groMessages') > sum(before1, 'groMessages') && groDatagrams >= 2, `relay 1 received them as GRO buffers (${groDatagrams} datagrams)`)
    t.equal(sum(after1, 'txPackets') - sum(before1, 'txPackets'), sent, 'relay 1 sent each datagram once, counted once')
    const body = await metrics(r1)
    t.match(body, new RegExp(`sovereign_relay_relayed_packets_total\\{direction="to_client"\\} ${sent}\\b`), 'and its relayed-packet metric counts datagrams, not buffers')
    t.match(body, /sovereign_relay_data_thread_gro_datagrams_total\{thread="\d+"\} [1-9]/)

    // The same burst to an allocation with a permission for relay 2 but no channel: every
    // datagram of the GRO buffers is handed up and reaches C as a Data indication of its own.
    const c = await client(t, r1)
    const { relayed: rc } = await c.allocate(inFamily)
    await c.createPermission(rb)
    await b.channelBind(0x4002, rc)
    const groBefore = sum(r1.sockets.dataThreadStats(), 'groDatagrams')
    let indicated = 0
    for (let burst = 0; burst < 5 && (burst === 0 || sum(r1.sockets.dataThreadStats(), 'groDatagrams') === groBefore); burst++) {
      for (let k = 0; k < 64; k++) b.sendChannelData(0x4002, frame(indicated + k))
      for (let k = 0; k < 64; k++) {
        const r = await c.nextData()
        if (r.channel !== undefined || !r.data.equals(frame(indicated + k))) return t.fail(`indication ${indicated + k}: got ${r.data.length} bytes on channel ${r.channel}`)
      }
      indicated += 64
    }
    t.ok(sum(r1.sockets.dataThreadStats(), 'groDatagrams') > groBefore, `without a channel too, ${indicated} datagrams arrived in GRO buffers and each reached C as a Data indication, in order`)
  })

  t.test('malformed ChannelData and garbage are dropped without harm; the relay keeps relaying', async (t) => {
    const node = await relay(t, { dataThreads: 2 })
    const peer = await echoPeer('127.0.0.2')
    t.teardown(() => peer.close())
    const c = await client(t, node)
    await c.allocate()
    await c.channelBind(0x4000, peer.address)
    const truncated = Buffer.from([0x40, 0x00, 0x00, 0x64, 1, 2, 3]) // says 100 bytes, has 3
    for (const bad of [Buffer.from([0x40]), Buffer.from([0x40, 0x00]), Buffer.from([0x7f, 0xff, 0xff]), truncated]) c.raw(bad)
    // Random bytes of random lengths, from this client and from a stranger.
    const stranger = dgram.createSocket('udp4')
    t.teardown(() => new Promise<void>((resolve) => stranger.close(() => resolve())))
    const udp = node.addresses.find((a) => a.transport === 'udp')!
    let x = 0x12345678
    const rand = (): number => (x = (Math.imul(x, 1103515245) + 12345) >>> 0)
    for (let i = 0; i < 300; i++) {
      const b = Buffer.alloc(rand() % 1500)
      for (let j = 0; j < b.length; j++) b[j] = rand() & 0xff
      if (b.length > 0) b[0] = 0x40 | (b[0]! & 0x3f)
      c.raw(b)
      stranger.send(b, udp.port, udp.host)
    }
    await drained(c)
    const malformed = node.sockets.dataThreadStats().reduce((n, s) => n + s.drops.malformed, 0)
    t.ok(malformed >= 4, `${malformed} malformed ChannelData datagrams dropped and counted`)
    c.sendChannelData(0x4000, Buffer.from('still relaying'))
    t.equal((await c.nextData((r) => r.channel === 0x4000 && r.data.toString() === 'still relaying')).data.toString(), 'still relaying')
    t.match(await metrics(node), /sovereign_relay_dropped_packets_total\{reason="malformed"\} [1-9]\d*/)
  })

  t.test('a burst from one peer reaches its client intact and in order', async (t) => {
    const node = await relay(t, { dataThreads: 1 })
    const peer = dgram.createSocket('udp4')
    await new Promise<void>((resolve) => peer.bind(0, '127.0.0.2', () => resolve()))
    t.teardown(() => new Promise<void>((resolve) => peer.close(() => resolve())))
    const c = await client(t, node)
    const { relayed } = await c.allocate()
    await c.channelBind(0x4000, { family: 4, address: '127.0.0.2', port: peer.address().port })
    // 60 datagrams of 600 and 1000 bytes: within the test client's default receive buffer.
    const sent = Array.from({ length: 60 }, (_, i) => {
      const b = Buffer.alloc(i % 10 === 9 ? 600 : 1000, i & 0xff)
      b.writeUInt32BE(i, 0)
      return b
    })
    for (const b of sent) peer.send(b, relayed.port, relayed.address)
    for (let i = 0; i < sent.length; i++) {
      const got = await c.nextData((r) => r.channel === 0x4000)
      if (!got.data.equals(sent[i]!)) {
        t.fail(`datagram ${i} differs (${got.data.length} bytes, seq ${got.data.readUInt32BE(0)})`)
        return
      }
    }
    t.pass('all 60 arrived as ChannelData, byte for byte and in order')
    t.equal(node.sockets.dataThreadStats()[0]!.txPackets, 60, 'each forwarded by the engine')
  })

  t.test('a peer without a bound channel still reaches the client, as a Data indication through TypeScript', async (t) => {
    const node = await relay(t)
    const peer = await echoPeer('127.0.0.3')
    t.teardown(() => peer.close())
    const c = await client(t, node)
    await c.allocate()
    await c.createPermission(peer.address)
    c.sendIndication(peer.address, Buffer.from('indicated'))
    const back = await c.nextData()
    t.same(back.peer, peer.address)
    t.equal(back.data.toString(), 'indicated')
    t.ok(node.sockets.dataThreadStats().reduce((n, s) => n + s.handedUp, 0) >= 2, 'the Send and the peer\'s answer went through TypeScript')
  })
}

t.test('a second relay on a port the first one holds is refused (EADDRINUSE), not let into its SO_REUSEPORT group', { skip: load.ok ? false : 'no native engine' }, async (t) => {
  const first = await relay(t, { dataThreads: 2, tcp: false })
  const port = first.addresses.find((a) => a.transport === 'udp')!.port
  const err = await startRelayNode({ listen: [`127.0.0.1:${port}`], secrets: [SECRET], dataPath: 'native', tcp: false }).catch((e: unknown) => e)
  t.equal((err as NodeJS.ErrnoException).code, 'EADDRINUSE')
  const c = await client(t, first)
  t.ok((await c.allocate()).relayed, 'the first relay still has all its clients')
})

t.test('a relay that names no data path runs the native engine, one data thread per core', { skip: load.ok && !process.env.SOVEREIGN_DATA_PATH ? false : 'no native engine, or SOVEREIGN_DATA_PATH set' }, async (t) => {
  const node = await startRelayNode({ listen: ['127.0.0.1:0'], secrets: [SECRET], tcp: false })
  t.teardown(() => node.close())
  const { availableParallelism } = await import('node:os')
  t.same(node.sockets.dataPath, { kind: 'native', threads: availableParallelism() })
})

t.test('when the JavaScript thread stalls under a flood, hand-ups are bounded and dropped (counted), and the relay recovers', { skip: load.ok ? false : 'no native engine' }, async (t) => {
  const { spawnSync } = await import('node:child_process')
  const node = await relay(t, { dataThreads: 1, tcp: false })
  const udp = node.addresses.find((a) => a.transport === 'udp')!
  // spawnSync blocks this (the JavaScript) thread while the child floods the listener for
  // 1.5 s with datagrams for the TypeScript server; the engine's queue to it must not grow
  // without bound. (While it is behind, the data thread waits up to 0.5 ms per wake-up for
  // it, so the 512-batch queue fills after a quarter of a second or so, not at once.)
  const flood = `const s=require('dgram').createSocket('udp4');const b=Buffer.alloc(20);const end=Date.now()+1500;` +
    `const go=()=>{for(let i=0;i<2000;i++)s.send(b,${udp.port},'${udp.host}');if(Date.now()<end)setImmediate(go);else s.close()};go()`
  const r = spawnSync(process.execPath, ['-e', flood], { timeout: 60_000 })
  t.equal(r.status, 0, 'the flood ran')
  const stats = node.sockets.dataThreadStats()
  t.ok(stats[0]!.drops.handUpFull > 0, `${stats[0]!.drops.handUpFull} datagrams dropped at the full hand-up queue, ${stats[0]!.handedUp} handed up`)
  // A request can still meet the full queue while it drains: retransmit as a STUN client
  // does over UDP (RFC 8489 §6.2.1) until it is answered.
  const c = await client(t, node)
  const { request } = await import('../../support/stun-builder.js')
  let answered = false
  for (let attempt = 0; attempt < 10 && !answered; attempt++) {
    answered = await c.exchange(request(0x0001)).then(() => true, () => false)
  }
  t.ok(answered, 'the relay answers again once the JavaScript thread catches up')
  t.ok((await c.allocate()).relayed, 'and allocates')
})

t.test('while the JavaScript thread is behind, a data thread gathers what arrives into one hand-up per wait, not one per datagram', { skip: load.ok ? false : 'no native engine' }, async (t) => {
  const { spawnSync } = await import('node:child_process')
  const node = await relay(t, { dataThreads: 1, tcp: false })
  const udp = node.addresses.find((a) => a.transport === 'udp')!
  const before = node.sockets.dataThreadStats()[0]!
  // The child trickles datagrams (one every ~20 µs, for 150 ms) while spawnSync blocks this
  // thread: each would wake the data thread on its own, and without the wait each would go
  // up alone (thousands of batches, more than the 512 the queue holds).
  const trickle = `const s=require('dgram').createSocket('udp4');const b=Buffer.alloc(20);let sent=0;` +
    `const end=process.hrtime.bigint()+150000000n;` +
    `const go=()=>{const stop=process.hrtime.bigint()+5000000n;` +
    `while(process.hrtime.bigint()<stop){s.send(b,${udp.port},'${udp.host}');sent++;const t=process.hrtime.bigint()+20000n;while(process.hrtime.bigint()<t){}}` +
    `if(process.hrtime.bigint()<end)setImmediate(go);else s.close(()=>console.log(sent))};go()`
  const r = spawnSync(process.execPath, ['-e', trickle], { timeout: 60_000 })
  t.equal(r.status, 0, 'the trickle ran')
  const after = node.sockets.dataThreadStats()[0]!
  const handedUp = after.handedUp - before.handedUp
  const batches = after.handUpBatches - before.handUpBatches
  t.ok(handedUp > 1000, `${handedUp} of ${String(r.stdout).trim()} datagrams handed up`)
  t.equal(after.drops.handUpFull - before.drops.handUpFull, 0, 'none dropped at the hand-up queue')
  t.ok(after.handUpWaits > before.handUpWaits, `the thread waited for TypeScript ${after.handUpWaits - before.handUpWaits} times`)
  t.ok(handedUp / batches >= 4, `${handedUp} datagrams went up in ${batches} batches (${(handedUp / batches).toFixed(1)} per batch)`)
})

t.test('a data thread that is forwarding media does not wait for a JavaScript thread that is behind', { skip: load.ok ? false : 'no native engine' }, async (t) => {
  const { spawnSync } = await import('node:child_process')
  const node = await relay(t, { dataThreads: 1, tcp: false })
  const udp = node.addresses.find((a) => a.transport === 'udp')!
  const c = await client(t, node)
  const { relayed } = await c.allocate()
  // The peer's port, picked free, then bound by the child that plays the peer.
  const probe = dgram.createSocket('udp4')
  await new Promise<void>((resolve) => probe.bind(0, '127.0.0.2', resolve))
  const peerPort = probe.address().port
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  await c.channelBind(0x4000, { family: 4, address: '127.0.0.2', port: peerPort })
  const before = node.sockets.dataThreadStats()[0]!
  // While spawnSync blocks this thread, the child sends media from the bound peer (forwarded
  // natively to the client) and requests for TypeScript, alternately, every ~20 µs for 150 ms.
  const both = `const d=require('dgram');const m=d.createSocket('udp4');const s=d.createSocket('udp4');const b=Buffer.alloc(20);` +
    `m.bind(${peerPort},'127.0.0.2',()=>{const end=process.hrtime.bigint()+150000000n;` +
    `const go=()=>{const stop=process.hrtime.bigint()+5000000n;` +
    `while(process.hrtime.bigint()<stop){m.send(b,${relayed.port},'${relayed.address}');s.send(b,${udp.port},'${udp.host}');const t=process.hrtime.bigint()+20000n;while(process.hrtime.bigint()<t){}}` +
    `if(process.hrtime.bigint()<end)setImmediate(go);else{m.close();s.close()}};go()})`
  const r = spawnSync(process.execPath, ['-e', both], { timeout: 60_000 })
  t.equal(r.status, 0, `the child ran${r.stderr.length ? `: ${String(r.stderr)}` : ''}`)
  const after = node.sockets.dataThreadStats()[0]!
  const forwarded = after.txPackets - before.txPackets
  const batches = after.handUpBatches - before.handUpBatches
  const waits = after.handUpWaits - before.handUpWaits
  t.ok(forwarded > 1000, `${forwarded} media datagrams forwarded natively meanwhile`)
  t.ok(batches > 10, `${after.handedUp - before.handedUp} requests went up in ${batches} batches`)
  t.ok(waits <= batches / 10, `the thread waited for TypeScript ${waits} times in ${batches} hand-ups`)
})

const [major = 0, minor = 0] = (await import('node:os')).release().split('.').map(Number)
t.test('data threads are named and, where the kernel has custom slices (Linux 6.12+), ask for a 0.1 ms one', { skip: load.ok && process.platform === 'linux' ? false : 'no native engine' }, async (t) => {
  const { readdirSync, readFileSync } = await import('node:fs')
  await relay(t, { dataThreads: 2, tcp: false })
  await new Promise((resolve) => setTimeout(resolve, 100))
  const threads = readdirSync('/proc/self/task')
    .map((tid) => ({ comm: readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim(), sched: readFileSync(`/proc/self/task/${tid}/sched`, 'utf8') }))
    .filter((x) => x.comm.startsWith('sr-data-'))
  t.same(threads.map((x) => x.comm).sort().slice(0, 2), ['sr-data-0', 'sr-data-1'])
  if (major > 6 || (major === 6 && minor >= 12)) {
    for (const x of threads) t.match(x.sched, /se\.slice\s*:\s*100000\b/, `${x.comm}: a 100 µs slice`)
  }
})
