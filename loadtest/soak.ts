/**
 * Memory soak (issue 9 item 15): does a region's memory come back after many meetings?
 * `npm run soak` — a benchmark that prints figures, not a test.
 *
 * One region on loopback: a private redis-server (no persistence) on a free port, one
 * control-plane node and two region relays, each its own process (soak-process.ts, run
 * with --expose-gc). One cycle = the tenant creates a meeting (REST), a participant joins
 * it over signaling (token minted here, welcome with TURN credentials asserted), leaves,
 * and the tenant ends the meeting — every step publishes to the region's Redis what
 * relays hear (policy invalidations, revocations), but no TURN traffic flows. Cycles run
 * at a bounded concurrency; every request goes to 127.0.0.1.
 *
 * Memory is read inside each process after two forced full GCs: before (after a warm-up
 * of `--warmup` cycles, so first-use costs such as compiled code and pools are not counted
 * as growth), after the cycles, and after `--idle` seconds of idling. RSS is what the OS
 * sees; heap used is what is still referenced. The target is RSS growth under 10 %.
 *
 * `--heap-snapshots <dir>` also writes a heap snapshot of each process before and after
 * idle (compare them in Chrome DevTools to see what is retained); writing one grows the
 * process's RSS by tens of MB, so RSS figures of such a run mean nothing.
 *
 *   npx tsx loadtest/soak.ts [--cycles 3000] [--warmup 200] [--concurrency 16] [--idle 30] [--heap-snapshots dir]
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import WebSocket from 'ws'

import { generateApiKey, hashApiKey } from '../config/api-key.js'
import { SignalClient, type WebSocketConstructor } from '../control-plane/client/signal-client.js'
import { signalUrl } from '../control-plane/plugins/signaling.js'
import { mintParticipantToken } from '../control-plane/tokens/participant-token.js'
import { freeTcpPort } from './heap-probe.js'
import type { SoakMemory, SoakReady } from './soak-process.js'
import { siblingModule, spawnNode, stopChild } from './spawn-node.js'

const { values: args } = parseArgs({
  options: {
    cycles: { type: 'string', default: '3000' },
    warmup: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '16' },
    idle: { type: 'string', default: '30' },
    'heap-snapshots': { type: 'string' },
  },
})
const CYCLES = Number(args.cycles)
const WARMUP = Number(args.warmup)
const CONCURRENCY = Number(args.concurrency)
const IDLE_S = Number(args.idle)
const SNAPSHOTS = args['heap-snapshots']
const TARGET_GROWTH = 0.1

const REGION = 'eu-central'
const TENANT = 'soak'
const apiKey = generateApiKey('test')
const tokenSecret = `soak-token-secret-${randomBytes(12).toString('hex')}`
const prefix = `soak${randomBytes(4).toString('hex')}`

function config(redisUrl: string): string {
  return `version: 1
regions:
  - id: ${REGION}
    country: DE
    location: { lat: 50.1, lon: 8.7 }
    # One generator on 127.0.0.1 stands in for thousands of clients: lift the per-address limits.
    controlPlane:
      url: "http://127.0.0.1:18080"
      limits:
        signaling: { joinsPerAddress: { perSecond: 10000, burst: 100000 } }
        http: { perApiKey: { max: 1000000, windowSeconds: 60 }, perAddress: { max: 1000000, windowSeconds: 60 } }
    redis: { url: "${redisUrl}" }
    relaySecrets: [ { id: eu1, value: "eu-central-soak-relay-secret-0001" } ]
    relays:
      - { id: eu-soak-1, listen: ["127.0.0.1:0"] }
      - { id: eu-soak-2, listen: ["127.0.0.1:0"] }
geo:
  watch: false
  overrides:
    - { cidr: 127.0.0.0/8, country: DE }
relay: { allowPeers: [127.0.0.0/8] }
tenants:
  - id: ${TENANT}
    apiKeys: [{ id: soak-1, sha256: "${hashApiKey(apiKey)}" }]
    tokenSecret: ${tokenSecret}
    allowedRegions: [${REGION}]
    defaultRegion: ${REGION}
    security: { waitingRoom: false, passcodeRequired: false, joinBeforeHost: true }
admin: { apiKeys: [ { id: admin, sha256: "${'a'.repeat(64)}" } ] }
`
}

async function startRedis(dir: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freeTcpPort()
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString()
      if (out.includes('Ready to accept connections')) resolve()
    })
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${out.slice(-300)}`)))
  })
  child.stdout!.resume()
  return { url: `redis://127.0.0.1:${port}`, child }
}

interface Proc {
  readonly name: string
  readonly child: ChildProcess
  readonly ready: SoakReady
}

async function startProc(name: string, argv: string[]): Promise<Proc> {
  const child = spawnNode(siblingModule(import.meta.url, './soak-process'), argv, { nodeArgs: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const ready = await new Promise<SoakReady>((resolve, reject) => {
    child.once('message', (m) => resolve(m as SoakReady))
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)))
  })
  return { name, child, ready }
}

async function memoryOf(p: Proc): Promise<SoakMemory> {
  const reply = once(p.child, 'message') as Promise<[SoakMemory]>
  p.child.send({ type: 'measure' })
  return (await reply)[0]
}

async function snapshotOf(p: Proc, phase: string): Promise<void> {
  if (SNAPSHOTS === undefined) return
  const reply = once(p.child, 'message')
  p.child.send({ type: 'snapshot', path: join(SNAPSHOTS, `${p.name.replace(/\s+/g, '-')}-${phase}.heapsnapshot`) })
  await reply
}

async function api(base: string, path: string, body: unknown): Promise<{ status: number; json: { id?: string } }> {
  const res = await fetch(`${base}${path}`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return { status: res.status, json: (await res.json()) as { id?: string } }
}

/** create → join (welcome with TURN credentials) → leave → end. */
async function cycle(base: string, i: number): Promise<void> {
  const created = await api(base, '/v1/meetings', { region: REGION, title: `soak ${i}` })
  if (created.status !== 201 || created.json.id === undefined) throw new Error(`create answered ${created.status}`)
  const meetingId = created.json.id
  const token = await mintParticipantToken({ tenantId: TENANT, secret: tokenSecret, meetingId, identity: `p${i}`, role: 'host' })
  const client = SignalClient.connect(signalUrl(base), { WebSocket: WebSocket as unknown as WebSocketConstructor, token })
  try {
    const joined = await client.joined
    if (joined.kind !== 'welcome') throw new Error(`join answered ${joined.kind}`)
    if (!joined.welcome.iceServers.some((s) => s.urls.some((u) => u.startsWith('turn:')))) throw new Error('welcome without TURN servers')
    await client.leave()
  } finally {
    await client.close()
  }
  const ended = await api(base, `/v1/meetings/${meetingId}/end`, {})
  if (ended.status !== 200) throw new Error(`end answered ${ended.status}`)
}

async function run(base: string, count: number, offset: number): Promise<{ seconds: number; failures: number; firstFailure?: string }> {
  let next = 0
  let failures = 0
  let firstFailure: string | undefined
  const t0 = performance.now()
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < count) {
      const i = offset + next++
      await cycle(base, i).catch((err: unknown) => {
        failures++
        firstFailure ??= (err as Error).message
      })
    }
  }))
  return { seconds: (performance.now() - t0) / 1000, failures, ...(firstFailure === undefined ? {} : { firstFailure }) }
}

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1)
const pct = (after: number, before: number) => `${after >= before ? '+' : ''}${(((after - before) / before) * 100).toFixed(1)} %`

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'soak-'))
  const procs: Proc[] = []
  let redis: ChildProcess | undefined
  try {
    const r = await startRedis(dir)
    redis = r.child
    const configPath = join(dir, 'network.yaml')
    writeFileSync(configPath, config(r.url))
    procs.push(await startProc('control plane', ['cp', configPath, REGION, prefix]))
    procs.push(await startProc('relay eu-soak-1', ['relay', configPath, REGION, 'eu-soak-1', prefix]))
    procs.push(await startProc('relay eu-soak-2', ['relay', configPath, REGION, 'eu-soak-2', prefix]))
    const base = procs[0]!.ready.url!

    console.log(`soak: ${WARMUP} warm-up cycles, then ${CYCLES} cycles (create, join, leave, end) at concurrency ${CONCURRENCY}, then ${IDLE_S} s idle`)
    const warm = await run(base, WARMUP, 0)
    if (warm.failures > 0) throw new Error(`warm-up: ${warm.failures} failed cycles (${warm.firstFailure})`)
    const before = await Promise.all(procs.map(memoryOf))
    for (const p of procs) await snapshotOf(p, 'before')
    const soak = await run(base, CYCLES, WARMUP)
    console.log(`cycles: ${CYCLES} in ${soak.seconds.toFixed(1)} s (${(CYCLES / soak.seconds).toFixed(0)}/s), ${soak.failures} failed${soak.firstFailure ? ` (first: ${soak.firstFailure})` : ''}`)
    const after = await Promise.all(procs.map(memoryOf))
    await sleep(IDLE_S * 1000) // idling is the point of this phase: nothing to await
    const idle = await Promise.all(procs.map(memoryOf))
    for (const p of procs) await snapshotOf(p, 'after-idle')

    console.log('')
    console.log('process           | RSS before | RSS after        | RSS after idle   | heap before | heap after       | heap after idle')
    console.log('------------------|-----------:|-----------------:|-----------------:|------------:|-----------------:|----------------:')
    let worst = 0
    procs.forEach((p, i) => {
      const [b, a, d] = [before[i]!, after[i]!, idle[i]!]
      worst = Math.max(worst, (a.rss - b.rss) / b.rss, (d.rss - b.rss) / b.rss)
      console.log(`${p.name.padEnd(17)} | ${mb(b.rss).padStart(7)} MB | ${mb(a.rss).padStart(5)} MB ${pct(a.rss, b.rss).padStart(8)} | ${mb(d.rss).padStart(5)} MB ${pct(d.rss, b.rss).padStart(8)} | ${mb(b.heapUsed).padStart(8)} MB | ${mb(a.heapUsed).padStart(5)} MB ${pct(a.heapUsed, b.heapUsed).padStart(8)} | ${mb(d.heapUsed).padStart(5)} MB ${pct(d.heapUsed, b.heapUsed).padStart(8)}`)
    })
    console.log('')
    console.log(`largest RSS growth: ${(worst * 100).toFixed(1)} % (target: under ${TARGET_GROWTH * 100} %) — ${worst < TARGET_GROWTH ? 'met' : 'NOT met'}`)
    if (soak.failures > 0 || worst >= TARGET_GROWTH) process.exitCode = 1
  } finally {
    await Promise.all(procs.map((p) => stopChild(p.child)))
    if (redis) await stopChild(redis)
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
