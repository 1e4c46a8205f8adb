/**
 * A micro-benchmark of the native engine's data thread alone (figures, not a test): an
 * in-process relay on one data thread, allocations set up by the project's TURN client,
 * then a C sender (loadtest/burst-blast.c, sendmmsg) floods them from the clients' and
 * peers' own ports, unpaced, so the data thread is saturated and batches are large.
 * What it prints is the data thread's CPU per datagram forwarded (its own CPU clock, so
 * the load side's CPU and the other work on the machine do not enter it), the mean
 * recvmmsg batch, sendmmsg calls per datagram sent and the share sent inside UDP GSO.
 *
 *   npx tsx loadtest/bench-engine-burst.ts [--scenario spread|fanin|burst] [--seconds 3]
 *
 * spread: 50 allocations, one peer each, one datagram per flow in turn both ways (runs of
 * one destination are length 1: what grouping by socket changes); fanin: 8 peers → one
 * client (many relayed sockets, one destination: GSO through the listener); burst: 8 clients
 * sending 8 in a row to their one peer, and the peers 8 in a row back (GSO both ways).
 * SOVEREIGN_NATIVE_ADDON=<file.node> runs another build (A/B); SOVEREIGN_NATIVE_GSO=0
 * turns GSO off. --peer-gso 1: the peers send each burst as one UDP GSO message, as another
 * relay does (relay/relay pairs), which the relayed sockets take as GRO buffers;
 * SOVEREIGN_NATIVE_GRO=0 turns GRO off.
 */
import { spawn, spawnSync } from 'node:child_process'
import dgram from 'node:dgram'
import { existsSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { mintTurnCredential } from '../relay/auth/index.js'
import { startRelayNode } from '../relay/relay-node.js'
import { newMeetingId, newParticipantId } from '../state/meeting-id.js'
import { TurnClient } from '../test/support/turn-client.js'

const SECRET = 'burst-secret-0123456789'
const args = new Map<string, string>()
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1]!)
const scenario = args.get('scenario') ?? 'spread'
const seconds = Number(args.get('seconds') ?? 3)
const payload = Number(args.get('payload') ?? 200)
const peerGso = args.get('peer-gso') === '1'
const shape = { spread: { clients: 50, peers: 1, burst: 1 }, fanin: { clients: 1, peers: 8, burst: 8 }, burst: { clients: 8, peers: 1, burst: 8 } }[scenario]
if (!shape) throw new Error(`unknown scenario ${scenario}`)

const blast = join(tmpdir(), 'sovereign-burst-blast')
const blastSource = new URL('./burst-blast.c', import.meta.url).pathname
if (!existsSync(blast) || statSync(blastSource).mtimeMs > statSync(blast).mtimeMs) {
  const r = spawnSync('cc', ['-O2', '-o', blast, blastSource], { stdio: 'inherit' })
  if (r.status !== 0) throw new Error('cc failed')
}

/** Sockets held until the C sender takes their ports over (so no port is handed out twice). */
const held: { close(): Promise<void> }[] = []
async function peerPort(host: string): Promise<number> {
  const s = dgram.createSocket('udp4')
  await new Promise<void>((resolve) => s.bind(0, host, () => resolve()))
  held.push({ close: () => new Promise<void>((resolve) => s.close(() => resolve())) })
  return s.address().port
}

const node = await startRelayNode({ listen: ['127.0.0.1:0'], secrets: [SECRET], allowPeers: ['127.0.0.0/8'], dataPath: 'native', dataThreads: 1, quotas: { bandwidthBytesPerSecond: 1e12 } })
const udp = node.addresses.find((a) => a.transport === 'udp')!
const toRelay: string[] = [] // clientPort:relayPort:channel
const toClient: string[] = [] // peerPort:relayedPort:0
for (let i = 0; i < shape.clients; i++) {
  const cred = mintTurnCredential({ secret: SECRET, meetingId: newMeetingId('burst'), participantId: newParticipantId(), ttlSeconds: 600, now: Date.now })
  const c = await TurnClient.connect({ transport: 'udp', host: udp.host, port: udp.port, username: cred.username, password: cred.password, localAddress: '127.0.0.1' })
  const { relayed } = await c.allocate()
  for (let p = 0; p < shape.peers; p++) {
    const port = await peerPort('127.0.0.2')
    await c.channelBind(0x4000 + p, { family: 4, address: '127.0.0.2', port })
    if (p === 0 || scenario !== 'fanin') toRelay.push(`${c.localPort}:${udp.port}:${0x4000 + p}`)
    toClient.push(`${port}:${relayed.port}:0`)
  }
  held.push(c) // closing leaves the allocation (no Refresh 0); the C sender takes the port over
}
for (const h of held) await h.close()

const before = node.sockets.dataThreadStats()[0]!
const processBefore = process.cpuUsage()
const run = (src: string, dst: string, flows: string[], gso = false) => new Promise<string>((resolve) => {
  const child = spawn(blast, [String(seconds), String(payload), String(shape.burst), src, dst, ...flows], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, BLAST_PEER_GSO: gso ? '1' : '0' } })
  let out = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  child.on('exit', () => resolve(out.trim()))
})
const sent = await Promise.all([scenario === 'fanin' ? Promise.resolve('0 0') : run('127.0.0.1', udp.host, toRelay), run('127.0.0.2', '127.0.0.1', toClient, peerGso)])
await new Promise((resolve) => setTimeout(resolve, 200))
const after = node.sockets.dataThreadStats()[0]!
const processCpu = process.cpuUsage(processBefore)
const d = (k: keyof typeof after): number => ((after[k] as number) ?? 0) - ((before[k] as number) ?? 0)
const tx = d('txPackets')
const cpu = after.cpuSeconds - before.cpuSeconds
console.log(JSON.stringify({
  scenario, addon: process.env.SOVEREIGN_NATIVE_ADDON ?? 'build', gso: process.env.SOVEREIGN_NATIVE_GSO !== '0',
  loadSent: sent, rx: d('rxPackets'), tx, cpuSeconds: +cpu.toFixed(3),
  // The whole relay process (data thread, JavaScript thread, libuv): the rest is not the engine's.
  processCpuSeconds: +((processCpu.user + processCpu.system) / 1e6).toFixed(3),
  usPerTx: +((cpu * 1e6) / tx).toFixed(3), usPerRx: +((cpu * 1e6) / d('rxPackets')).toFixed(3),
  meanBatch: +(d('batchedPackets') / d('batches')).toFixed(1),
  sendCallsPerTx: after.sendCalls === undefined ? null : +(d('sendCalls') / tx).toFixed(3),
  gsoShare: after.gsoDatagrams === undefined ? null : +(d('gsoDatagrams') / tx).toFixed(3),
  gsoFallbacks: after.gsoFallbacks === undefined ? null : d('gsoFallbacks'),
  peerGso, gro: process.env.SOVEREIGN_NATIVE_GRO !== '0',
  groShareOfRx: after.groDatagrams === undefined ? null : +(d('groDatagrams') / d('rxPackets')).toFixed(3),
  drops: after.drops,
}))
await node.close()
