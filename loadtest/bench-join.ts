/**
 * Joins per second on ONE control-plane process with a real Redis, next to a bare
 * fastify WebSocket route driven by the same generator in the same run (issue 5).
 *
 * The control plane runs as its own process (bench-join-server.ts cp: control-plane/node.ts
 * on a free loopback port, the region's Redis at 127.0.0.1:6379 under a unique key prefix
 * removed afterwards, three relays in the region's fleet as heartbeat entries, and a few
 * open meetings). This process opens real `ws` WebSockets with the typed SignalClient at a
 * bounded concurrency; one join = connect → `join` with a fresh participant token (minted
 * here with the tenant's secret, HS256, as a tenant backend would) → `welcome` (token
 * verified, admitted, relays selected, TURN credentials minted; asserted non-empty
 * iceServers) → close. Latency is connect-start to welcome.
 *
 * The reference (bench-join-server.ts ref) is a bare fastify + @fastify/websocket route
 * answering the first message with one JSON message; the same loop drives it with a raw
 * `ws` client (it does not speak sovereign.signal.v1).
 *
 * Redis commands per join are INFO commandstats deltas of the Redis used (server-wide: on
 * the shared 127.0.0.1:6379 they include everyone else's traffic; `--redis` points the
 * benchmark at a private redis-server for exact counts).
 *
 *   npx tsx loadtest/bench-join.ts [--seconds 8] [--warmup 2] [--concurrency 32] [--meetings 50] [--redis redis://127.0.0.1:6379]
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import type { ChildProcess } from 'node:child_process'
import { parseArgs } from 'node:util'
import { Redis } from 'ioredis'
import WebSocket from 'ws'

import { SignalClient, type WebSocketConstructor } from '../control-plane/client/signal-client.js'
import { signalUrl } from '../control-plane/plugins/signaling.js'
import { SUBPROTOCOL } from '../control-plane/protocol/version.js'
import { mintParticipantToken } from '../control-plane/tokens/participant-token.js'
import { Histogram } from './histogram.js'
import { CpuMeter } from './proc-stats.js'
import { siblingModule, spawnNode, stopChild } from './spawn-node.js'
import type { ServerReady } from './bench-join-server.js'

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '32' },
    meetings: { type: 'string', default: '50' },
    redis: { type: 'string', default: 'redis://127.0.0.1:6379' },
  },
})
const SECONDS = Number(args.seconds)
const WARMUP = Number(args.warmup)
const CONCURRENCY = Number(args.concurrency)
const MEETINGS = Number(args.meetings)
const TARGET_JOINS_PER_SECOND = 2000
const TARGET_P99_MS = 50

const REDIS = args.redis
const REGION = 'eu-central'
const TENANT = 'bench'
const tokenSecret = `bench-token-secret-${randomBytes(12).toString('hex')}`
const prefix = `bench-join-${randomBytes(5).toString('hex')}`

const CONFIG = `version: 1
regions:
  - id: ${REGION}
    country: DE
    location: { lat: 50.1, lon: 8.7 }
    # Every join of the generator comes from 127.0.0.1: lift the per-address join limit (a real
    # join storm comes from many addresses; the limit is per address and node).
    controlPlane: { url: "http://127.0.0.1:18080", limits: { signaling: { joinsPerAddress: { perSecond: 10000, burst: 100000 }, unjoinedSockets: { perAddress: 100000, perNode: 1000000 } } } }
    redis: { url: "${REDIS}" }
    relaySecrets: [ { id: eu1, value: "eu-central-bench-relay-secret-0001" } ]
    relays: []
geo:
  watch: false
  overrides:
    - { cidr: 127.0.0.0/8, country: DE }
relay: { allowPeers: [127.0.0.0/8] }
tenants:
  - id: ${TENANT}
    apiKeys: [{ id: bench-1, sha256: "${'b'.repeat(64)}" }]
    tokenSecret: ${tokenSecret}
    allowedRegions: [${REGION}]
    defaultRegion: ${REGION}
    security: { waitingRoom: false, passcodeRequired: false, joinBeforeHost: true, capacity: 10000 }
admin: { apiKeys: [ { id: admin, sha256: "${'a'.repeat(64)}" } ] }
`

interface Phase {
  readonly name: string
  readonly joins: number
  readonly failures: number
  readonly seconds: number
  readonly latency: Histogram
  /** Joins completed over the whole phase, warm-up included (for CPU and Redis cost per join). */
  readonly completed: number
  /** CPU seconds over the whole phase per process, and Redis commands processed (server-wide). */
  cpu: Record<string, number>
  redisCommands: number
  /** Redis calls by command over the phase (INFO commandstats deltas). */
  redisByCommand: Record<string, number>
  readonly firstFailure?: string
}

/** Runs `joinOnce` at `concurrency` until `seconds` are over; counts only joins started after the warm-up. */
async function drive(name: string, joinOnce: (i: number) => Promise<void>, concurrency: number, warmupS: number, seconds: number): Promise<Phase> {
  const latency = new Histogram()
  let joins = 0
  let failures = 0
  let firstFailure: string | undefined
  let seq = 0
  let completed = 0
  const start = performance.now()
  const measureFrom = start + warmupS * 1000
  const end = measureFrom + seconds * 1000
  const worker = async () => {
    while (performance.now() < end) {
      const t0 = performance.now()
      const i = seq++
      try {
        await joinOnce(i)
        const t1 = performance.now()
        completed++
        if (t0 >= measureFrom && t1 <= end) {
          joins++
          latency.record(Math.round((t1 - t0) * 1e6))
        }
      } catch (err) {
        if (t0 >= measureFrom) failures++
        firstFailure ??= (err as Error).message
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return { name, joins, failures, seconds, latency, completed, cpu: {}, redisCommands: 0, redisByCommand: {}, ...(firstFailure === undefined ? {} : { firstFailure }) }
}

function startServer(argv: string[]): Promise<{ child: ChildProcess; ready: ServerReady }> {
  // BENCH_JOIN_CPU_PROF=<dir> writes a V8 CPU profile of each server process there (for finding what limits it).
  const profileDir = process.env.BENCH_JOIN_CPU_PROF
  const nodeArgs = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []
  const child = spawnNode(siblingModule(import.meta.url, './bench-join-server'), argv, { nodeArgs, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve({ child, ready: m as ServerReady }))
    child.once('exit', (code) => reject(new Error(`server ${argv[0]} exited with ${code}`)))
  })
}

async function dropPrefix(): Promise<number> {
  const redis = new Redis(REDIS)
  let removed = 0
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
    cursor = next
    if (keys.length > 0) removed += await redis.del(...keys)
  } while (cursor !== '0')
  await redis.quit()
  return removed
}

async function redisCommandsProcessed(redis: Redis): Promise<number> {
  const info = await redis.info('stats')
  return Number(/total_commands_processed:(\d+)/.exec(info)?.[1] ?? 0)
}

/** Calls per command so far (`cmdstat_hget:calls=12,...`). */
async function redisCommandStats(redis: Redis): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  for (const m of (await redis.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out[m[1]!] = Number(m[2])
  return out
}

/** `drive` with the CPU seconds of each process and the Redis commands processed meanwhile. */
async function measured(pids: Record<string, number>, redis: Redis, run: () => Promise<Phase>): Promise<Phase> {
  const meter = new CpuMeter(pids)
  const before = await redisCommandsProcessed(redis)
  const statsBefore = await redisCommandStats(redis)
  meter.start()
  const phase = await run()
  phase.cpu = meter.stop()
  phase.redisCommands = (await redisCommandsProcessed(redis)) - before
  for (const [command, calls] of Object.entries(await redisCommandStats(redis))) {
    const delta = calls - (statsBefore[command] ?? 0)
    if (delta > 0) phase.redisByCommand[command] = delta
  }
  return phase
}

const ms = (ns: number) => (ns / 1e6).toFixed(2)

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-join-'))
  const configPath = join(dir, 'network.yaml')
  writeFileSync(configPath, CONFIG)
  const children: ChildProcess[] = []
  try {
    const cp = await startServer(['cp', configPath, REGION, TENANT, prefix, String(MEETINGS)])
    children.push(cp.child)
    const ref = await startServer(['ref'])
    children.push(ref.child)
    const url = signalUrl(cp.ready.url)
    const meetingIds = cp.ready.meetingIds

    const ourJoin = async (i: number) => {
      const meetingId = meetingIds[i % meetingIds.length]!
      const token = await mintParticipantToken({ tenantId: TENANT, secret: tokenSecret, meetingId, identity: `p-${i}-${randomUUID().slice(0, 8)}`, role: 'attendee' })
      const client = SignalClient.connect(url, { WebSocket: WebSocket as unknown as WebSocketConstructor, token })
      try {
        const result = await client.joined
        if (result.kind !== 'welcome') throw new Error(`join ended with ${result.kind}: ${JSON.stringify(result)}`)
        if (result.welcome.iceServers.length === 0) throw new Error('welcome without ICE servers')
      } finally {
        await client.close()
      }
    }
    const refUrl = `${ref.ready.url.replace(/^http/, 'ws')}/ref/ws`
    const refJoin = async (i: number) => {
      // Same shape of work on the client side: a token-sized join message out, one JSON message back.
      const token = await mintParticipantToken({ tenantId: TENANT, secret: tokenSecret, meetingId: meetingIds[i % meetingIds.length]!, identity: `r-${i}`, role: 'attendee' })
      const socket = new WebSocket(refUrl, SUBPROTOCOL)
      try {
        await once(socket, 'open')
        socket.send(JSON.stringify({ type: 'join', token }))
        const [data] = await once(socket, 'message') as [Buffer]
        const answer = JSON.parse(String(data)) as { iceServers?: unknown[] }
        if (!answer.iceServers || answer.iceServers.length === 0) throw new Error('reference answered without ICE servers')
      } finally {
        socket.close()
      }
    }

    console.log(`bench:join — ${SECONDS}s measured after ${WARMUP}s warm-up, concurrency ${CONCURRENCY}, ${meetingIds.length} meetings, prefix ${prefix}`)
    const redis = new Redis(REDIS)
    const redisPid = Number(/process_id:(\d+)/.exec(await redis.info('server'))?.[1])
    const pids = { generator: process.pid, server: 0, redis: redisPid }
    const phases: Phase[] = []
    phases.push(await measured({ ...pids, server: ref.child.pid! }, redis, () => drive('reference: bare fastify WebSocket, one message', refJoin, CONCURRENCY, WARMUP, SECONDS)))
    phases.push(await measured({ ...pids, server: cp.child.pid! }, redis, () => drive('control plane: token → admit → relays → credentials → welcome', ourJoin, CONCURRENCY, WARMUP, SECONDS)))
    await redis.quit()

    console.log('\n| run | joins | failed | joins/s | p50 ms | p99 ms | max ms |')
    console.log('|---|---|---|---|---|---|---|')
    for (const p of phases) {
      const s = p.latency.summary()
      console.log(`| ${p.name} | ${p.joins} | ${p.failures} | ${(p.joins / p.seconds).toFixed(0)} | ${ms(s.p50)} | ${ms(s.p99)} | ${ms(s.max)} |`)
      if (p.firstFailure !== undefined) console.log(`  first failure (${p.name}): ${p.firstFailure}`)
    }
    console.log('\nCPU per completed join (whole phase incl. warm-up; Redis commands are server-wide, other users of 127.0.0.1:6379 included):')
    for (const p of phases) {
      const per = (x: number | undefined) => (((x ?? 0) / p.completed) * 1000).toFixed(2)
      console.log(`  ${p.name}: server ${per(p.cpu.server)} ms, generator ${per(p.cpu.generator)} ms, redis ${per(p.cpu.redis)} ms, ${(p.redisCommands / p.completed).toFixed(1)} Redis commands/join; machine busy ${((p.cpu.machineBusy ?? 0) / (p.cpu.machineTotal ?? 1) * 100).toFixed(0)}%`)
      const byCommand = Object.entries(p.redisByCommand).sort((a, b) => b[1] - a[1]).filter(([, n]) => n / p.completed >= 0.05)
      if (byCommand.length > 0) console.log(`    Redis calls per join: ${byCommand.map(([c, n]) => `${c} ${(n / p.completed).toFixed(2)}`).join(', ')}`)
    }
    const [reference, ours] = phases as [Phase, Phase]
    const ourRate = ours.joins / ours.seconds
    const ourP99 = ours.latency.summary().p99 / 1e6
    console.log(`\nratio control plane / reference: ${(ourRate / (reference.joins / reference.seconds)).toFixed(2)}× joins/s, p99 ${(ourP99 / (reference.latency.summary().p99 / 1e6)).toFixed(1)}×`)
    const met = ourRate >= TARGET_JOINS_PER_SECOND && ourP99 < TARGET_P99_MS && ours.failures === 0
    console.log(`target ≥ ${TARGET_JOINS_PER_SECOND} joins/s with p99 < ${TARGET_P99_MS} ms: ${met ? 'MET' : 'NOT MET'} (${ourRate.toFixed(0)} joins/s, p99 ${ourP99.toFixed(2)} ms, ${ours.failures} failed)`)
    process.exitCode = ours.joins > 0 ? 0 : 1
  } finally {
    await Promise.all(children.map((c) => stopChild(c)))
    const removed = await dropPrefix()
    console.log(`removed ${removed} Redis keys under ${prefix}:`)
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
