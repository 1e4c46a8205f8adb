/**
 * `npm run bench:revoke`: how long a revocation takes from the control plane's publish
 * to every relay process of the region having it in hand, next to a bare Redis
 * PUBLISH -> SUBSCRIBE measured in the same run on the same processes.
 *
 *   reference  bare ioredis PUBLISH of a timestamp, received by a bare subscriber in
 *              each relay process
 *   revoke     RevocationStore.revoke (Lua: store with TTL + PUBLISH) received by each
 *              relay process's PolicyCache as its 'revoked' event (what the relay acts on)
 *
 * Target (issue 4): p99 under 100 ms to EVERY relay. What this does NOT include: the
 * relay tearing down its allocations after the event (local work on the relay, done by
 * relay/region); it is not measured here.
 * Options: --relays <n> (4), --revocations <n> (1000), --interval-ms <n> (2),
 * --redis <url> (redis://127.0.0.1:6379), --json.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../config/load-config.js'
import { mintTurnCredential } from '../relay/auth/credentials.js'
import { startRegionRelay } from '../relay/region/region-relay.js'
import { openRegionState } from '../state/region-state.js'
import { TurnClient } from '../relay/client/turn-client.js'
import { PolicyCache } from '../state/policy-cache.js'
import { newMeetingId } from '../state/meeting-id.js'

const REGION = 'eu-central'
/** Sub-millisecond wall clock comparable across processes on one machine. */
const now = () => performance.timeOrigin + performance.now()

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name)
  return i >= 0 ? process.argv[i + 1]! : fallback
}

type Phase = 'reference' | 'revoke' | 'drop'
type ToParent = { type: 'ready' } | { type: 'samples'; phase: Phase; samples: [number, number][]; missed?: number }
type ToChild = { type: 'report' }

async function child(url: string, prefix: string): Promise<void> {
  const reference: [number, number][] = []
  const revoke: [number, number][] = []
  const sub = new Redis(url)
  await sub.subscribe(`${prefix}:reference`)
  sub.on('message', (_c: string, m: string) => {
    const [seq, at] = m.split(':').map(Number) as [number, number]
    reference.push([seq, now() - at])
  })
  const state = openRegionState({ region: REGION, redis: { url }, prefix, now })
  await state.ready()
  const cache = new PolicyCache({ resolve: () => state, now })
  await cache.watch(state)
  cache.on('revoked', (m) => revoke.push([Number(m.participantId?.slice(1)), m.receivedAt - m.at]))
  process.on('message', (msg: ToChild) => {
    if (msg.type !== 'report') return
    process.send!({ type: 'samples', phase: 'reference', samples: reference } satisfies ToParent)
    process.send!({ type: 'samples', phase: 'revoke', samples: revoke } satisfies ToParent, () => {
      void Promise.all([cache.close(), state.close(), sub.quit()]).then(() => process.exit(0))
    })
  })
  process.send!({ type: 'ready' } satisfies ToParent)
}


const SECRET = 'bench-revoke-secret-0001'

/** A real region relay holding one allocation per participant; samples publish -> dropped. */
async function relayChild(configFile: string, prefix: string, relayId: string, meetingId: string, participants: number): Promise<void> {
  const config = await loadConfig(configFile)
  const relay = await startRegionRelay({ config, region: REGION, id: relayId, listen: ['127.0.0.1:0'], metrics: null, statePrefix: prefix })
  const port = relay.node.addresses.find((a) => a.transport === 'udp')!.port
  const clients: TurnClient[] = []
  for (let i = 0; i < participants; i++) {
    const cred = mintTurnCredential({ secret: SECRET, meetingId, participantId: `p${i}`, ttlSeconds: 3600, now: Date.now })
    const c = await TurnClient.open({ server: { host: '127.0.0.1', port }, username: cred.username, password: cred.password })
    await c.allocate()
    clients.push(c)
  }
  const drop: [number, number][] = []
  let missed = 0
  // Registered after the relay's own enforcer, so it runs once the allocation is dropped.
  relay.cache.on('revoked', (m) => {
    const pid = m.participantId
    if (pid === undefined) return
    const still = [...relay.node.server.table.values()].some((a) => a.identity.participantId === pid)
    if (still) missed++
    else drop.push([Number(pid.slice(1)), now() - m.at])
  })
  process.on('message', (msg: ToChild) => {
    if (msg.type !== 'report') return
    process.send!({ type: 'samples', phase: 'drop', samples: drop, missed } satisfies ToParent, () => {
      void Promise.all(clients.map((c) => c.close())).then(() => relay.close()).then(() => process.exit(0))
    })
  })
  process.send!({ type: 'ready' } satisfies ToParent)
}

function relayConfig(url: string, relays: number): string {
  return `version: 1
regions:
  - id: ${REGION}
    country: DE
    location: { lat: 50.1, lon: 8.7 }
    controlPlane: { url: "http://127.0.0.1:18080" }
    redis: { url: "${url}" }
    relaySecrets: [ { id: b1, value: "${SECRET}" } ]
    relays:
${Array.from({ length: relays }, (_, i) => `      - { id: bench-r${i}, listen: ["127.0.0.1:0"] }`).join('\n')}
relay: { allowPeers: [127.0.0.0/8], quotas: { allocationsPerMeeting: 100000 } }
admin: { apiKeys: [ { id: admin, sha256: "${'d'.repeat(64)}" } ] }
`
}

/** The drop phase: real relays, real allocations, real revocations through the state layer. */
async function dropPhase(url: string, relays: number, participants: number, intervalMs: number): Promise<{ result: PhaseResult; missed: number }> {
  const prefix = `benchdrop${randomBytes(4).toString('hex')}`
  const dir = mkdtempSync(join(tmpdir(), 'sr-bench-revoke-'))
  const configFile = join(dir, 'network.yaml')
  writeFileSync(configFile, relayConfig(url, relays))
  const state = openRegionState({ region: REGION, redis: { url }, prefix, now })
  await state.ready()
  const meetingId = newMeetingId(REGION)
  const settings = { passcodeRequired: false, waitingRoom: false, joinBeforeHost: true, hostOnlyScreenShare: true, fileTransfer: false, recording: 'host' as const, allowRejoinAfterRemoval: false, capacity: 10000, keyMode: 'e2ee' as const }
  const created = await state.meetings.create({ id: meetingId, tenantId: 'bench', residencyMode: 'region', allowedRegions: [REGION], attendeePolicy: { mode: 'open', countries: [], unknown: 'allow' }, settings, createdAt: Date.now() })
  if (!created.ok) throw new Error(`bench meeting not created: ${created.refusal}`)
  const self = fileURLToPath(import.meta.url)
  const nodeArgs = self.endsWith('.ts') ? ['--import=tsx'] : []
  const children = Array.from({ length: relays }, (_, i) =>
    spawn(process.execPath, [...nodeArgs, self, '--relay-child', configFile, prefix, `bench-r${i}`, meetingId, String(participants)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }))
  await Promise.all(children.map((c) => once(c, 'message')))
  for (let i = 0; i < participants; i++) {
    await state.revocations.revoke(meetingId, `p${i}`, { ttlMs: 60_000 })
    await new Promise((r) => setTimeout(r, intervalMs))
  }
  await new Promise((r) => setTimeout(r, 300))
  const samples: [number, number][][] = []
  let missed = 0
  await Promise.all(children.map((c) => new Promise<void>((resolve) => {
    c.on('message', (m: ToParent) => {
      if (m.type !== 'samples') return
      samples.push(m.samples)
      missed += m.missed ?? 0
      resolve()
    })
    c.send({ type: 'report' } satisfies ToChild)
  })))
  await Promise.all(children.map((c) => (c.exitCode === null ? once(c, 'exit') : undefined)))
  const raw = new Redis(url)
  const keys = await raw.keys(`${prefix}:*`)
  if (keys.length) await raw.del(...keys)
  await Promise.all([raw.quit(), state.close()])
  rmSync(dir, { recursive: true, force: true })
  return { result: summarize(samples, participants, relays), missed }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}

interface PhaseResult { received: number; expected: number; p50: number; p99: number; max: number; everyP50: number; everyP99: number; everyMax: number }

function summarize(samples: [number, number][][], count: number, relays: number): PhaseResult {
  const all = samples.flat().map(([, ms]) => ms).sort((a, b) => a - b)
  const every = new Map<number, number[]>()
  for (const per of samples) for (const [seq, ms] of per) every.set(seq, [...(every.get(seq) ?? []), ms])
  // to EVERY relay: the slowest relay per message, over messages all relays received
  const worst = [...every.values()].filter((v) => v.length === relays).map((v) => Math.max(...v)).sort((a, b) => a - b)
  return {
    received: all.length, expected: count * relays,
    p50: percentile(all, 50), p99: percentile(all, 99), max: all.at(-1) ?? NaN,
    everyP50: percentile(worst, 50), everyP99: percentile(worst, 99), everyMax: worst.at(-1) ?? NaN,
  }
}

async function main(): Promise<void> {
  const relays = Number(arg('--relays', '4'))
  const count = Number(arg('--revocations', '1000'))
  const intervalMs = Number(arg('--interval-ms', '2'))
  const url = arg('--redis', 'redis://127.0.0.1:6379')
  const prefix = `bench${randomBytes(4).toString('hex')}`
  const self = fileURLToPath(import.meta.url)
  const nodeArgs = self.endsWith('.ts') ? ['--import=tsx'] : []

  const children: ChildProcess[] = []
  for (let i = 0; i < relays; i++) {
    children.push(spawn(process.execPath, [...nodeArgs, self, '--child', url, prefix], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }))
  }
  await Promise.all(children.map((c) => once(c, 'message')))

  const pub = new Redis(url)
  const state = openRegionState({ region: REGION, redis: { url }, prefix, now })
  await state.ready()
  const meetingId = newMeetingId(REGION)
  const pace = () => new Promise((r) => setTimeout(r, intervalMs))

  for (let i = 0; i < count; i++) {
    await pub.publish(`${prefix}:reference`, `${i}:${now()}`)
    await pace()
  }
  for (let i = 0; i < count; i++) {
    await state.revocations.revoke(meetingId, `p${i}`, { ttlMs: 60_000 })
    await pace()
  }
  // let the last messages land (they are in flight on loopback)
  await new Promise((r) => setTimeout(r, 200))

  const samples: Record<Phase, [number, number][][]> = { reference: [], revoke: [], drop: [] }
  await Promise.all(children.map((c) => new Promise<void>((resolve) => {
    let got = 0
    c.on('message', (m: ToParent) => {
      if (m.type !== 'samples') return
      samples[m.phase].push(m.samples)
      if (++got === 2) resolve()
    })
    c.send({ type: 'report' } satisfies ToChild)
  })))
  await Promise.all(children.map((c) => (c.exitCode === null ? once(c, 'exit') : undefined)))
  const keys = await pub.keys(`${prefix}:*`)
  if (keys.length) await pub.del(...keys)
  await Promise.all([pub.quit(), state.close()])

  const ref = summarize(samples.reference, count, relays)
  const rev = summarize(samples.revoke, count, relays)
  const allocations = Number(arg('--allocations', '200'))
  const { result: drop, missed } = await dropPhase(url, relays, allocations, intervalMs)
  const f = (n: number) => n.toFixed(2)
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify({ relays, count, allocations, intervalMs, reference: ref, revoke: rev, drop, missed, ratioEveryP99: rev.everyP99 / ref.everyP99, dropRatioEveryP99: drop.everyP99 / ref.everyP99 }))
    return
  }
  console.log(`bench:revoke  ${relays} relay processes, ${count} revocations each phase, one every ${intervalMs} ms, ${url}`)
  console.log('phase       received      p50 ms  p99 ms  max ms | to every relay: p50 ms  p99 ms  max ms')
  for (const [name, r] of [['reference', ref], ['revoke', rev], ['drop', drop]] as const) {
    console.log(`${name.padEnd(10)}  ${`${r.received}/${r.expected}`.padEnd(12)}  ${f(r.p50).padStart(6)}  ${f(r.p99).padStart(6)}  ${f(r.max).padStart(6)} |                 ${f(r.everyP50).padStart(6)}  ${f(r.everyP99).padStart(6)}  ${f(r.everyMax).padStart(6)}`)
  }
  console.log(`drop phase: ${relays} real region relays x ${allocations} allocations each (one per participant), ${missed} revocations seen before the allocation was gone`)
  console.log(`revoke / reference (p99 to every relay): ${(rev.everyP99 / ref.everyP99).toFixed(2)}x;  drop / reference: ${(drop.everyP99 / ref.everyP99).toFixed(2)}x`)
  console.log(`target: p99 from publish to every relay having dropped the allocations < 100 ms -> ${drop.everyP99 < 100 && drop.received === drop.expected ? 'met' : 'NOT met'} (${f(drop.everyP99)} ms)`)
}

if (process.argv.includes('--relay-child')) {
  const i = process.argv.indexOf('--relay-child')
  const [configFile, prefix, relayId, meetingId, participants] = process.argv.slice(i + 1, i + 6) as [string, string, string, string, string]
  await relayChild(configFile, prefix, relayId, meetingId, Number(participants))
} else if (process.argv.includes('--child')) {
  const i = process.argv.indexOf('--child')
  await child(process.argv[i + 1]!, process.argv[i + 2]!)
} else {
  await main()
}
