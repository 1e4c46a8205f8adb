/**
 * `npm run bench:relay`: our TURN relay against coturn (one relay thread) on the same
 * machine, in the same run, under identical load. Not a test: it prints figures and the
 * ratios ours/coturn for the four targets of the relay issue:
 *   1. max packet rate (echoed round trips/s through N channels, bounded window),
 *   2. round-trip p50/p99 at a fixed rate of half the slower server's max,
 *   3. allocations/s including the 401 challenge, and releases/s,
 *   4. heap per idle allocation (ours, through the V8 inspector) and RSS per allocation.
 * Repeats alternate the servers so slow drifts of a shared machine hit both alike.
 */
import { Command, Option } from 'commander'
import { cpus as osCpus, setPriority } from 'node:os'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'

import { allocateOp, closeClients, openClients, releaseOp, runPaced, runPhase, type PacedResult, type PhaseResult } from './alloc-load.js'
import type { TurnClient } from '../relay/client/turn-client.js'
import { startEchoPeer } from './echo-peer.js'
import { meanBatch, type DataThreadWindow } from './engine-metrics.js'
import { nativeProgram } from './native-build.js'
import { startNativeEcho } from './native-echo.js'
import { handOver, pickSourceAddresses, runNativeLoad, type NativeFlows, type NativeRunOptions } from './native-load.js'
import { mergeRuns, startLoadHelper, type LoadHelper } from './load-helper.js'
import { startTurnutilsPeer, type PeerProcess } from './turnutils-peer.js'
import { closeFlows, runFixedRate, runMaxRate, setupFlows, type Flow, type PacketRunResult } from './packet-load.js'
import { processRssBytes } from './proc-stats.js'
import { BENCH_RELAY_PORTS, startServer, type ServerName, type ServerUnderTest } from './servers.js'
import { onPath, pinProcess, pinThread } from './spawn-node.js'
import { cpuQuotaAvailable, limitCpu, limitThreads } from './cpu-quota.js'

interface BenchOptions {
  servers: ServerName[]
  scenarios: string[]
  allocations: number
  payload: number
  window: number
  warmup: number
  duration: number
  repeats: number
  allocTotal: number
  allocConcurrency: number
  allocWarmup: number
  allocSettle: number
  fixedRate: number
  relayPrewarm: number
  idleAllocations: number
  pin: boolean
  relayProcesses: number
  relayArgs: string[]
  relayNodeArgs: string[]
  bufferBytes: number
  load: 'native' | 'node'
  burst: number
  loadCpus?: string
  echo: 'native' | 'node' | 'turnutils'
  oursEntry: 'cli' | 'api'
  floorLookup: 'default' | 'sync'
  heapBreakdown: boolean
  serverCpuQuota: number
  threadCpuQuota?: number
  dataThreads: number
  stormMediaRate: number
  stormRate: number
  loadProcesses: number
  oursSyncLookup: boolean
  nice: number
  json?: string
}

const SECRET = 'bench-secret'
const log = (msg: string): void => { process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${msg}\n`) }
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

interface Placement { server?: string; generator?: string; echo?: string }

function placement(pin: boolean, loadCpus: string | undefined): Placement {
  if (!pin || osCpus().length < 2) return {}
  // The server gets a core of its own; the generator and the echo peer share the other
  // (per round trip the server makes 4 socket calls, generator and peer 2 each), unless
  // --load-cpus lets them use what the capped server leaves of its core too.
  return { server: '1', generator: loadCpus ?? '0', echo: loadCpus ?? '0' }
}

async function startFor(name: ServerName, opts: BenchOptions, where: Placement, inspect = false, peer?: PeerProcess): Promise<ServerUnderTest> {
  const server = await startServerPlain(name, opts, where, inspect, peer)
  if (!opts.serverCpuQuota) return server
  const release = limitCpu(server.pids, opts.serverCpuQuota, `${name}-${server.pids[0]}`)
  return { ...server, stop: async () => { release(); await server.stop() } }
}

function startServerPlain(name: ServerName, opts: BenchOptions, where: Placement, inspect: boolean, peer?: PeerProcess): Promise<ServerUnderTest> {
  return startServer(name, {
    ...(peer ? { peer: { host: peer.host, port: peer.port } } : {}),
    floorLookup: opts.floorLookup,
    secret: SECRET,
    cpus: where.server,
    nice: opts.nice,
    ...(name === 'native' ? { dataThreads: opts.dataThreads } : {}),
    prewarm: opts.relayPrewarm,
    ...(name === 'ours' || name === 'native' ? { processes: opts.relayProcesses, relayArgs: opts.relayArgs, inspect, entry: opts.oursEntry, nodeArgs: opts.relayNodeArgs, syncLookup: opts.oursSyncLookup } : {}),
  })
}

const endpoints = (s: ServerUnderTest): { host: string; port: number }[] => s.ports.map((port) => ({ host: s.host, port }))
const cpuPids = (s: ServerUnderTest, echo: PeerProcess): Record<string, number> => ({
  ...Object.fromEntries(s.pids.map((pid, i) => [i === 0 ? 'server' : `server${i}`, pid])),
  echo: echo.pid,
})
const serverCpu = (cpu: Record<string, number>): number =>
  Object.entries(cpu).filter(([k]) => k.startsWith('server')).reduce((a, [, v]) => a + v, 0)

/** CPU use in % of one core per process, and the machine's CPU left to other work. */
function cpuLine(r: PacketRunResult): string {
  const secs = r.measuredMs / 1000
  const p = (v: number): string => `${((v / secs) * 100).toFixed(0)} %`
  const ours = serverCpu(r.cpu) + (r.cpu.generator ?? 0) + (r.cpu.echo ?? 0)
  const others = Math.max(0, (r.cpu.machineBusy ?? 0) - ours)
  const engine = engineOf(r)
  const batch = meanBatch(engine)
  return `CPU: server ${p(serverCpu(r.cpu))}, generator ${p(r.cpu.generator ?? 0)}, echo ${p(r.cpu.echo ?? 0)}, other work ${p(others)}` +
    (batch !== undefined ? `; engine: mean batch ${batch.toFixed(1)}, ${engine.map((t, i) => `thread ${i} ${t.rxPackets} rx ${p(t.cpuSeconds)}`).join(', ')}` : '')
}

const localsOf = (list: readonly { host: string; port: number }[]) => (i: number): { host: string; port: number } => list[i]!

/** Per server: how many of its runs did not keep the server at its cap. */
const notBound = (rows: PacketRows, names: readonly ServerName[], quota: number): Partial<Record<ServerName, number>> =>
  Object.fromEntries(names.map((n) => [n, rows[n].filter((r) => !serverBound(r, quota)).length]))

/** Round trips per CPU second of the engine's data threads. */
const perThreadCpu = (r: PacketRunResult): number => (r.pps * r.measuredMs / 1000) / engineOf(r).reduce((t, w) => t + w.cpuSeconds, 0)

/** The engine's data threads over a native-load run's window ([] otherwise). */
const engineOf = (r: PacketRunResult): DataThreadWindow[] => (r as { engine?: DataThreadWindow[] }).engine ?? []
const loadCpu = (r: PacketRunResult): number => (r.cpu.generator ?? 0) + (r.cpu.echo ?? 0)

/**
 * Server-bound means the server sits at its CPU cap: below 90 % of it, the load side (or
 * something else) was the limit and the rate is not the server's.
 */
/** The CPU the server may use: its quota, or the core it is pinned to when uncapped (0: unknown). */
const serverCap = (opts: BenchOptions, where: Placement): number => opts.serverCpuQuota || (where.server !== undefined ? 1 : 0)

const serverBound = (r: PacketRunResult, quota: number): boolean => serverCpu(r.cpu) / (r.measuredMs / 1000) >= 0.9 * quota

function checkServerBound(label: string, r: PacketRunResult, quota: number): void {
  if (!quota) return
  const used = serverCpu(r.cpu) / (r.measuredMs / 1000)
  if (!serverBound(r, quota)) log(`WARNING ${label}: server used ${(used * 100).toFixed(0)} % of a core, under its ${(quota * 100).toFixed(0)} % cap: not server-bound`)
}

/** Threads scenario: every data thread at its own cap (else the rate is not the threads'). */
const threadsBound = (r: PacketRunResult, quota: number): boolean =>
  engineOf(r).length > 0 && engineOf(r).every((w) => w.cpuSeconds / (r.measuredMs / 1000) >= 0.9 * quota)

function checkThreadsBound(label: string, r: PacketRunResult, quota: number): void {
  if (!quota || threadsBound(r, quota)) return
  const used = engineOf(r).map((w) => `${((w.cpuSeconds / (r.measuredMs / 1000)) * 100).toFixed(0)} %`).join(', ')
  log(`WARNING ${label}: data threads used ${used} of a core, under their ${(quota * 100).toFixed(0)} % cap each: not server-bound`)
}

type PacketRows = Record<ServerName, PacketRunResult[]>

/** --load-processes − 1 helpers, each with `allocations` flows of its own on the same server. */
async function loadHelpers(opts: BenchOptions, where: Placement, server: ServerUnderTest, echo: PeerProcess): Promise<LoadHelper[]> {
  const helpers: LoadHelper[] = []
  for (let h = 1; h < opts.loadProcesses; h++) {
    helpers.push(await startLoadHelper({
      servers: [...endpoints(server)], count: opts.allocations, firstIdentity: h * 100_000,
      peer: { family: 4, address: echo.host, port: echo.port }, secret: SECRET, bufferBytes: opts.bufferBytes,
    }, where.generator))
  }
  return helpers
}

/** A max-rate run from this process and every helper at once, added up. */
async function maxRateAll(flows: Flow[], helpers: readonly LoadHelper[], opts: BenchOptions, cpu: Record<string, number>): Promise<PacketRunResult> {
  const run = { payloadBytes: opts.payload, window: opts.window, warmupMs: opts.warmup * 1000, durationMs: opts.duration * 1000 }
  const [main, ...others] = await Promise.all([runMaxRate(flows, { ...run, cpuPids: cpu }), ...helpers.map((h) => h.max(run))])
  return mergeRuns(main!, others)
}

/** One server's media run at a fixed rate without and then during a storm of allocations. */
interface StormRun {
  quiet: PacketRunResult
  storm: PacketRunResult
  allocations: PacedResult
}

async function packetScenarios(opts: BenchOptions, where: Placement, echo: PeerProcess): Promise<{ max: PacketRows; fixed: PacketRows; fixedRate: number; storm: Record<ServerName, StormRun[]> }> {
  const running = new Map<ServerName, { server: ServerUnderTest; flows: Flow[]; helpers: LoadHelper[]; native?: NativeFlows }>()
  const max = { ours: [], native: [], coturn: [], floor: [] } as PacketRows
  const fixed = { ours: [], native: [], coturn: [], floor: [] } as PacketRows
  const storm = { ours: [], native: [], coturn: [], floor: [] } as Record<ServerName, StormRun[]>
  let fixedRate = 0
  try {
    for (const name of opts.servers) {
      const server = await startFor(name, opts, where, false, echo)
      log(`${name}: up on ${endpoints(server).map((e) => `${e.host}:${e.port}`).join(', ')}; setting up ${opts.load === 'native' ? opts.allocations * opts.loadProcesses : opts.allocations} allocations with channels`)
      const count = opts.load === 'native' ? opts.allocations * opts.loadProcesses : opts.allocations
      const flows = await setupFlows({
        servers: endpoints(server),
        count,
        ...(opts.load === 'native' ? { local: localsOf(await pickSourceAddresses(count)) } : {}),
        peer: { family: 4, address: echo.host, port: echo.port },
        credential: (i) => server.credential(i),
        bufferBytes: opts.bufferBytes,
        allocate: name !== 'floor',
      })
      if (opts.load === 'native') {
        const native = await handOver(flows, { peer: { family: 4, address: echo.host, port: echo.port }, allocated: name !== 'floor' })
        running.set(name, { server, flows: [], helpers: [], native })
      } else {
        running.set(name, { server, flows, helpers: name === 'floor' ? [] : await loadHelpers(opts, where, server, echo) })
      }
    }
    const order = (r: number): ServerName[] => (r % 2 === 0 ? opts.servers : [...opts.servers].reverse())
    if (opts.scenarios.includes('max') || (opts.scenarios.includes('fixed') && opts.fixedRate <= 0)) {
      for (let r = 0; r < opts.repeats; r++) {
        for (const name of order(r)) {
          const { server, flows, helpers, native } = running.get(name)!
          const res = native
            ? await runNativeLoad(native, nativeRun(opts, where, server, echo, { mode: 'max', window: opts.window }))
            : await maxRateAll(flows, helpers, opts, cpuPids(server, echo))
          max[name].push(res)
          log(`${name} max rate ${r + 1}/${opts.repeats}: ${res.pps.toFixed(0)} rt/s, loss ${(res.lossRatio * 100).toFixed(2)} %, ` +
            `p50 ${res.rttUs.p50.toFixed(0)} µs, ${cpuLine(res)}`)
          checkServerBound(`${name} max rate ${r + 1}`, res, serverCap(opts, where))
        }
      }
    }
    if (opts.scenarios.includes('fixed')) {
      const reference = opts.servers.some((n) => n !== 'floor') ? opts.servers.filter((n) => n !== 'floor') : opts.servers
      fixedRate = opts.fixedRate > 0 ? opts.fixedRate : Math.round(0.5 * Math.min(...reference.map((n) => median(max[n].map((x) => x.pps)))))
      for (let r = 0; r < opts.repeats; r++) {
        for (const name of order(r)) {
          const { server, flows, native } = running.get(name)!
          const res = native
            ? await runNativeLoad(native, nativeRun(opts, where, server, echo, { mode: 'fixed', rate: fixedRate }))
            : await runFixedRate(flows, {
              payloadBytes: opts.payload, rate: fixedRate, warmupMs: opts.warmup * 1000, durationMs: opts.duration * 1000,
              cpuPids: cpuPids(server, echo),
            })
          fixed[name].push(res)
          log(`${name} fixed ${fixedRate} pkt/s ${r + 1}/${opts.repeats}: p50 ${res.rttUs.p50.toFixed(0)} µs, p99 ${res.rttUs.p99.toFixed(0)} µs, loss ${(res.lossRatio * 100).toFixed(2)} %`)
        }
      }
    }
    if (opts.scenarios.includes('storm')) {
      for (let r = 0; r < opts.repeats; r++) {
        for (const name of order(r)) {
          if (name === 'floor') continue
          const { server, native } = running.get(name)!
          if (!native) throw new Error('the storm scenario needs --load native')
          const run = stormRun(opts, where, server, echo)
          const quiet = await runNativeLoad(native, run)
          const clients = await openClients({ servers: endpoints(server), count: stormClients(opts), credential: (i) => server.credential(2_000_000 + r * 100_000 + i) })
          try {
            const media = runNativeLoad(native, run)
            await new Promise((resolve) => setTimeout(resolve, opts.warmup * 1000))
            const allocations = await runPaced(clients, allocateOp, { ratePerSecond: opts.stormRate, concurrency: opts.allocConcurrency, durationMs: opts.duration * 1000 })
            const res = await media
            storm[name].push({ quiet, storm: res, allocations })
            log(`${name} storm ${r + 1}/${opts.repeats}: media ${opts.stormMediaRate} pkt/s p50/p99/max ${fmtRtt(quiet)} µs quiet, ${fmtRtt(res)} µs ` +
              `during ${((allocations.ok / allocations.ms) * 1000).toFixed(0)} allocations/s (${allocations.started - allocations.ok} failed${fmtFailures({ failures: allocations.failures })}), loss ${(res.lossRatio * 100).toFixed(2)} %`)
          } finally {
            // Untimed: the next run's allocations need the relayed ports back.
            await runPhase(clients, releaseOp, { concurrency: opts.allocConcurrency })
            await closeClients(clients)
          }
        }
      }
    }
  } finally {
    for (const { server, flows, helpers } of running.values()) {
      await Promise.all(helpers.map((h) => h.close()))
      await closeFlows(flows)
      await server.stop()
    }
  }
  return { max, fixed, fixedRate, storm }
}

/** Media flows at --storm-media-rate for the warm-up and the measured window. */
function stormRun(opts: BenchOptions, where: Placement, server: ServerUnderTest, echo: PeerProcess): NativeRunOptions {
  return nativeRun(opts, where, server, echo, { mode: 'fixed', rate: opts.stormMediaRate })
}

/** Clients for one storm: one allocation each, for the measured window at --storm-rate. */
function stormClients(opts: BenchOptions): number {
  return Math.ceil(opts.stormRate * opts.duration)
}

function fmtRtt(r: PacketRunResult): string {
  return `${r.rttUs.p50.toFixed(0)}/${r.rttUs.p99.toFixed(0)}/${r.rttUs.max.toFixed(0)}`
}

/**
 * A native-load run: the flows of all --load-processes dealt over as many generator
 * threads, placed where the load side goes, with the engine's counters over the window.
 */
function nativeRun(opts: BenchOptions, where: Placement, server: ServerUnderTest, echo: PeerProcess, run: Pick<NativeRunOptions, 'mode' | 'window' | 'rate'>): NativeRunOptions {
  return {
    ...run,
    payloadBytes: opts.payload, warmupMs: opts.warmup * 1000, durationMs: opts.duration * 1000,
    burst: opts.burst, threads: opts.loadProcesses, bufferBytes: opts.bufferBytes,
    cpuPids: cpuPids(server, echo), metricsUrl: server.metricsUrl,
    placement: { cpus: where.generator, nice: opts.nice },
  }
}

/**
 * Native data threads: the same load on 1 and on 2 threads, each data thread capped at
 * --thread-cpu-quota in a group of its own and (unless --no-pin) data thread k on CPU k,
 * the load side unpinned. Measures how the engine scales, not the machine.
 */
async function threadScaling(opts: BenchOptions, echo: PeerProcess): Promise<Record<1 | 2, PacketRunResult[]>> {
  const threadQuota = opts.threadCpuQuota ?? opts.serverCpuQuota
  // The load side goes where the capped data threads leave room: unpinned (the echo peer
  // was started on the load side's CPUs for the other scenarios), unless --load-cpus says.
  const echoCpus = placement(opts.pin, opts.loadCpus).echo
  const everyCpu = `0-${osCpus().length - 1}`
  if (echoCpus && echo.pid > 0) pinProcess(echo.pid, opts.loadCpus ?? everyCpu)
  try {
    return await threadRuns(opts, echo, threadQuota)
  } finally {
    if (echoCpus && echo.pid > 0) pinProcess(echo.pid, echoCpus)
  }
}

async function threadRuns(opts: BenchOptions, echo: PeerProcess, threadQuota: number): Promise<Record<1 | 2, PacketRunResult[]>> {
  const out: Record<1 | 2, PacketRunResult[]> = { 1: [], 2: [] }
  for (let r = 0; r < opts.repeats; r++) {
    for (const threads of r % 2 === 0 ? [1, 2] as const : [2, 1] as const) {
      const plain = await startServerPlain('native', { ...opts, dataThreads: threads }, {}, false, echo)
      // Each data thread in a group of its own (one group for both would not cap each: see
      // limitThreads); the JavaScript thread, idle while media flows, is not capped.
      const capped = threadQuota ? limitThreads(plain.pids[0]!, 'sr-data-', threadQuota, `threads${threads}-${plain.pids[0]}`) : undefined
      const release = capped?.release ?? (() => {})
      // Data thread k on CPU k: left to the scheduler, wake-ups pull both onto the CPU of the
      // peer that woke them, where they preempt it and one CPU idles (seen: 49 % idle, both
      // data threads and the echo peer on CPU 0, the peer's socket holding ~270 datagrams).
      if (capped && opts.pin && osCpus().length >= 2) capped.tids.forEach((tid, k) => pinThread(tid, String(k % osCpus().length)))
      try {
        const peer = { family: 4 as const, address: echo.host, port: echo.port }
        const count = opts.load === 'native' ? opts.allocations * opts.loadProcesses : opts.allocations
        const flows = await setupFlows({
          servers: endpoints(plain), count, peer,
          ...(opts.load === 'native' ? { local: localsOf(await pickSourceAddresses(count)) } : {}),
          credential: (i) => plain.credential(i), bufferBytes: opts.bufferBytes, allocate: true,
        })
        let res: PacketRunResult
        if (opts.load === 'native') {
          const native = await handOver(flows, { peer, allocated: true })
          res = await runNativeLoad(native, nativeRun(opts, { generator: opts.loadCpus }, plain, echo, { mode: 'max', window: opts.window }))
        } else {
          const helpers = await loadHelpers(opts, {}, plain, echo)
          res = await maxRateAll(flows, helpers, opts, cpuPids(plain, echo))
          await Promise.all(helpers.map((h) => h.close()))
          await closeFlows(flows)
        }
        out[threads].push(res)
        log(`native ${threads} data thread(s)${threadQuota ? `, each capped at ${threadQuota} CPU` : ''} ${r + 1}/${opts.repeats}: ${res.pps.toFixed(0)} rt/s, loss ${(res.lossRatio * 100).toFixed(2)} %, ${cpuLine(res)}`)
        checkThreadsBound(`native ${threads} data thread(s) ${r + 1}`, res, threadQuota)
      } finally {
        release()
        await plain.stop()
      }
    }
  }
  return out
}

/** Warm-up clients' source address: their 5-tuples are never the timed clients'. */
const WARMUP_HOST = '127.0.0.3'

type AllocRows = Record<ServerName, { alloc: PhaseResult; release: PhaseResult }[]>

async function allocationScenario(opts: BenchOptions, where: Placement): Promise<AllocRows> {
  const rows = { ours: [], native: [], coturn: [], floor: [] } as AllocRows
  for (let r = 0; r < opts.repeats; r++) {
    const turnServers = opts.servers.filter((n) => n !== 'floor')
    for (const name of r % 2 === 0 ? turnServers : [...turnServers].reverse()) {
      const server = await startFor(name, opts, where)
      try {
        // Warm-up (JIT, socket and table growth): not timed. Its clients bind WARMUP_HOST, so no
        // timed client can reuse a just-released 5-tuple (coturn answers those 437), and stay
        // open until the end: closed ones would make the kernel answer anything a server still
        // sent them with ICMP errors.
        const warm = await openClients({ servers: endpoints(server), count: opts.allocWarmup, localHost: WARMUP_HOST, credential: (i) => server.credential(1_000_000 + i) })
        await runPhase(warm, allocateOp, { concurrency: opts.allocConcurrency })
        await runPhase(warm, releaseOp, { concurrency: opts.allocConcurrency })
        // --alloc-settle: a quiet pause between warm-up and the timed phase. coturn keeps state of
        // the warm-up's released allocations for a while (10,000 of them cost it ~30 % more CPU
        // per allocation just after, not 20 s later); our relay's JIT, idle, cools instead.
        if (opts.allocSettle > 0) await new Promise((resolve) => setTimeout(resolve, opts.allocSettle))
        const clients = await openClients({ servers: endpoints(server), count: opts.allocTotal, credential: (i) => server.credential(i) })
        const pids = Object.fromEntries(server.pids.map((pid, i) => [`server${i || ''}`, pid]))
        const alloc = await runPhase(clients, allocateOp, { concurrency: opts.allocConcurrency, cpuPids: pids })
        const release = await runPhase(clients, releaseOp, { concurrency: opts.allocConcurrency, cpuPids: pids })
        await closeClients(clients)
        await closeClients(warm)
        rows[name].push({ alloc, release })
        const refused = await portsRefused(server)
        log(`${name} allocations ${r + 1}/${opts.repeats}: ${alloc.perSecond.toFixed(0)}/s (${alloc.failed} failed${fmtFailures(alloc)}, ` +
          `${refused !== undefined ? `${refused} relayed ports refused by the kernel (warm-up included), ` : ''}` +
          `${alloc.retransmissions} retransmits), releases ${release.perSecond.toFixed(0)}/s (${release.failed} failed${fmtFailures(release)}, ` +
          `server ${((serverCpu(release.cpu) / release.ms) * 1e5).toFixed(0)} %, generator ${(((release.cpu.generator ?? 0) / release.ms) * 1e5).toFixed(0)} %); ` +
          `CPU while allocating: ${Object.entries(alloc.cpu).filter(([k]) => !k.startsWith('machine')).map(([k, v]) => `${k} ${((v / alloc.ms) * 1e5).toFixed(0)} %`).join(', ')}, ` +
          `other work ${(((alloc.cpu.machineBusy! - Object.entries(alloc.cpu).filter(([k]) => !k.startsWith('machine')).reduce((t, [, v]) => t + v, 0)) / alloc.ms) * 1e5).toFixed(0)} %`)
      } finally {
        await server.stop()
      }
    }
  }
  return rows
}

/** Our relay's count of relayed ports the kernel refused (each a second bind), from /metrics. */
async function portsRefused(server: ServerUnderTest): Promise<number | undefined> {
  if (server.metricsUrl === undefined) return undefined
  try {
    const text = await (await fetch(`${server.metricsUrl}/metrics`)).text()
    const m = /^sovereign_relay_relay_ports_refused_total (\d+)/m.exec(text)
    return m ? Number(m[1]) : undefined
  } catch {
    return undefined
  }
}

const fmtFailures = (p: Pick<PhaseResult, 'failures'>): string =>
  Object.keys(p.failures).length ? `: ${Object.entries(p.failures).map(([k, v]) => `${k}×${v}`).join(', ')}` : ''

interface MemoryRow { heapPerAllocation?: number; rssPerAllocation: number; allocated: number; failed: number }

async function memoryScenario(opts: BenchOptions, where: Placement): Promise<Partial<Record<ServerName, MemoryRow>>> {
  const out: Partial<Record<ServerName, MemoryRow>> = {}
  for (const name of opts.servers.filter((n) => n !== 'floor')) {
    const server = await startFor(name, opts, where, true)
    try {
      const pid = server.pids[0]!
      const clients = await openClients({ servers: endpoints(server).slice(0, 1), count: opts.idleAllocations, credential: (i) => server.credential(i) })
      // One warm-up allocation so lazily built state (first-request code paths) is not counted.
      await clients[0]!.allocate()
      const heapBefore = server.heapProbe ? (await server.heapProbe.memoryAfterGc()).heapUsed : undefined
      const byNameBefore = opts.heapBreakdown && server.heapProbe ? await server.heapProbe.heapByConstructor() : undefined
      const rssBefore = processRssBytes(pid)
      const phase = await runPhase(clients.slice(1), allocateOp, { concurrency: opts.allocConcurrency })
      const heapAfter = server.heapProbe ? (await server.heapProbe.memoryAfterGc()).heapUsed : undefined
      const rssAfter = processRssBytes(pid)
      const n = phase.ok
      if (byNameBefore && server.heapProbe) printHeapBreakdown(byNameBefore, await server.heapProbe.heapByConstructor(), n)
      out[name] = {
        ...(heapBefore !== undefined && heapAfter !== undefined ? { heapPerAllocation: (heapAfter - heapBefore) / n } : {}),
        rssPerAllocation: (rssAfter - rssBefore) / n,
        allocated: n,
        failed: phase.failed,
      }
      log(`${name} idle allocations: ${n} (${phase.failed} failed${fmtFailures(phase)}); ` +
        (heapBefore !== undefined ? `heap ${((heapAfter! - heapBefore) / n).toFixed(0)} B/allocation, ` : '') +
        `RSS ${((rssAfter - rssBefore) / n).toFixed(0)} B/allocation`)
      await closeClients(clients)
    } finally {
      await server.stop()
    }
  }
  return out
}

/** The constructors whose bytes grew most, per allocation. */
function printHeapBreakdown(before: Map<string, { count: number; bytes: number }>, after: Map<string, { count: number; bytes: number }>, n: number): void {
  const diff = [...after].map(([name, a]) => {
    const b = before.get(name) ?? { count: 0, bytes: 0 }
    return { name, count: (a.count - b.count) / n, bytes: (a.bytes - b.bytes) / n }
  }).sort((x, y) => y.bytes - x.bytes)
  const total = diff.reduce((t, d) => t + d.bytes, 0)
  log(`heap snapshot growth per allocation: ${total.toFixed(0)} B (self sizes; top constructors):`)
  for (const d of diff.slice(0, 25)) {
    log(`  ${d.bytes.toFixed(0).padStart(6)} B  ${d.count.toFixed(2).padStart(6)} objects  ${d.name.slice(0, 80)}`)
  }
}

// ---------------------------------------------------------------- report

interface Row { scenario: string; metric: string; ours?: number | undefined; native?: number | undefined; coturn?: number | undefined; floor?: number | undefined; better: 'higher' | 'lower' | 'info'; target?: string; check?: (ours: number) => boolean; unit: (v: number) => string }

const num = (d: number) => (v: number): string => v.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d })
const pct = (v: number): string => `${(v * 100).toFixed(2)} %`
const bytes = (v: number): string => `${v.toFixed(0)} B`

function table(rows: Row[], names: readonly ServerName[]): string {
  const label: Record<ServerName, string> = { ours: 'ours (ts path)', native: 'ours (native)', coturn: 'coturn', floor: 'node dgram floor' }
  const both = names.includes('ours') && names.includes('coturn')
  const nativeBoth = names.includes('native') && names.includes('coturn')
  const header = ['scenario', 'metric', ...names.map((n) => label[n]), ...(both ? ['ts/coturn'] : []), ...(nativeBoth ? ['native/coturn'] : []), 'target']
  const lines = rows.map((r) => {
    const cell = (v: number | undefined): string => (v === undefined || Number.isNaN(v) ? '—' : r.unit(v))
    const ratioOf = (v: number | undefined): number | undefined => (v !== undefined && r.coturn !== undefined && r.coturn !== 0 ? v / r.coturn : undefined)
    const tsRatio = both ? ratioOf(r.ours) : undefined
    const nativeRatio = nativeBoth ? ratioOf(r.native) : undefined
    // The verdict is the native path's where it ran (the default data path), else the TypeScript one.
    const ratio = nativeBoth ? nativeRatio : tsRatio
    let verdict = r.target ?? ''
    if (r.target && ratio !== undefined && r.better !== 'info') {
      const threshold = Number(/(\d+(?:\.\d+)?)/.exec(r.target)?.[1] ?? 1)
      const met = r.better === 'higher' ? ratio >= threshold : ratio <= threshold
      verdict = `${r.target} ${met ? 'met' : 'NOT met'}`
    } else if (r.target && r.check && (r.native ?? r.ours) !== undefined) {
      verdict = `${r.target} ${r.check((r.native ?? r.ours)!) ? 'met' : 'NOT met'}`
    }
    const fmtRatio = (x: number | undefined): string => (x === undefined ? '—' : x.toFixed(2))
    return [r.scenario, r.metric, ...names.map((n) => cell(r[n])), ...(both ? [fmtRatio(tsRatio)] : []), ...(nativeBoth ? [fmtRatio(nativeRatio)] : []), verdict]
  })
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)))
  const fmt = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`
  return [fmt(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(fmt)].join('\n')
}

/**
 * Applies `nice` to this process and, where the kernel groups tasks by session
 * (CONFIG_SCHED_AUTOGROUP), to this session's group: with autogroups a per-process nice
 * only ranks processes inside the group, while each other session's group still gets an
 * equal share of the CPUs. Children inherit both.
 */
function raisePriority(nice: number): () => void {
  setPriority(nice)
  if (!existsSync('/proc/self/autogroup')) return () => {}
  const before = /nice (-?\d+)/.exec(readFileSync('/proc/self/autogroup', 'utf8'))?.[1] ?? '0'
  writeFileSync('/proc/self/autogroup', String(nice))
  log(`session autogroup: ${readFileSync('/proc/self/autogroup', 'utf8').trim()} (was ${before}, restored at exit)`)
  // The group outlives this process (the shell that started it is in it too): put it back.
  return () => writeFileSync('/proc/self/autogroup', before)
}

async function main(): Promise<void> {
  const program = new Command('bench-relay')
    .description('Benchmark our TURN relay against coturn (one relay thread) on this machine, loopback only')
    .addOption(new Option('--servers <list>', 'servers to run, comma separated: native (our relay on the native engine), ours (our relay on the TypeScript path), coturn, floor').default('native,ours,coturn'))
    .addOption(new Option('--scenarios <list>', 'max,fixed,allocs,memory,threads,storm (threads: native on 1 vs 2 data threads; storm: media round trips while the relay takes a steady storm of allocations — not in the default set)').default('max,fixed,allocs,memory,threads'))
    .addOption(new Option('--allocations <n>', 'allocations (channels) carrying packets').default(50).argParser(Number))
    .addOption(new Option('--payload <bytes>', 'ChannelData payload size (audio RTP ~ 100-200, video ~ 1000-1200)').default(200).argParser(Number))
    .addOption(new Option('--window <n>', 'packets in flight per allocation in the max-rate scenario').default(4).argParser(Number))
    .addOption(new Option('--warmup <s>', 'seconds before each measurement').default(1).argParser(Number))
    .addOption(new Option('--duration <s>', 'seconds measured per packet run').default(5).argParser(Number))
    .addOption(new Option('--repeats <n>', 'runs per server per scenario, alternating servers; medians reported').default(3).argParser(Number))
    .addOption(new Option('--fixed-rate <pkt/s>', 'fixed scenario: this rate instead of half the slower maximum (then the max runs can be left out)').default(0).argParser(Number))
    .addOption(new Option('--alloc-total <n>', 'allocations created (then released) in the allocation-rate scenario').default(2000).argParser(Number))
    .addOption(new Option('--alloc-concurrency <n>', 'allocations in flight at once').default(64).argParser(Number))
    .addOption(new Option('--relay-prewarm <n>', 'our relay: throwaway allocations it runs at start-up before opening its listeners (as `sovereign relay --prewarm`; 0: none)').default(3000).argParser(Number))
    .addOption(new Option('--alloc-settle <ms>', 'quiet pause between the allocation warm-up and the timed phase').default(0).argParser(Number))
    .addOption(new Option('--storm-media-rate <pkt/s>', 'storm scenario: media round trips per second in all (native load, --allocations flows)').default(2500).argParser(Number))
    .addOption(new Option('--storm-rate <n>', 'storm scenario: allocations started per second during the measured window (each on a client of its own)').default(3000).argParser(Number))
    .addOption(new Option('--alloc-warmup <n>', 'untimed allocations (then released; clients on 127.0.0.3, open until the end: with --alloc-total at most ~18,000 file descriptors) before each timed allocation phase').default(1000).argParser(Number))
    .addOption(new Option('--idle-allocations <n>', 'idle allocations for the memory scenario').default(5000).argParser(Number))
    .addOption(new Option('--no-pin', 'do not pin the server to CPU 1 and the generator and echo peer to CPU 0'))
    .addOption(new Option('--relay-processes <n>', 'our relay: processes on one host, flows spread over them').default(1).argParser(Number))
    .addOption(new Option('--relay-arg <arg...>', 'our relay: extra `sovereign relay` arguments').default([]))
    .addOption(new Option('--relay-node-arg <arg...>', 'our relay: extra node flags (e.g. --cpu-prof)').default([]))
    .addOption(new Option('--buffer-bytes <n>', "generator sockets' SO_RCVBUF/SO_SNDBUF request").default(1 << 20).argParser(Number))
    .addOption(new Option('--load <kind>', 'load side of the packet scenarios: native (loadtest/native: C, recvmmsg/sendmmsg, built with the installed cc) or node (packet-load.ts, one JS turn per datagram)').choices(['native', 'node']).default('native'))
    .addOption(new Option('--burst <k>', 'native load: packets sent back to back to one flow per send opportunity (a video frame; one sendmmsg)').default(1).argParser(Number))
    .addOption(new Option('--load-cpus <list>', 'CPUs for the generator and echo peer (default 0, the server having CPU 1); e.g. 0,1 to let them use what the capped server leaves'))
    .addOption(new Option('--echo <kind>', 'echo peer: native (loadtest/native/udp-echo.c, batched), node (loadtest/echo-peer.ts) or turnutils (coturn\'s C turnutils_peer); default: native with --load native, else node').choices(['native', 'node', 'turnutils']))
    .addOption(new Option('--ours-entry <how>', 'start our relay through startRelayNode (loadtest/relay-process, the default) or the CLI (sovereign relay)').choices(['cli', 'api']).default('api'))
    .addOption(new Option('--floor-lookup <how>', "floor relay: dgram's default address lookup or a synchronous one").choices(['default', 'sync']).default('default'))
    .addOption(new Option('--heap-breakdown', 'memory scenario: diff two heap snapshots of our relay by constructor (slow)').default(false))
    .addOption(new Option('--server-cpu-quota <fraction>', 'cap each server process at this fraction of a CPU (cgroup v1 CFS quota, root) so the load side can saturate it; 0 = no cap').default(0).argParser(Number))
    .addOption(new Option('--thread-cpu-quota <fraction>', 'threads scenario: cap per data thread, each in a cgroup of its own (and, unless --no-pin, data thread k on CPU k); default --server-cpu-quota').argParser(Number))
    .addOption(new Option('--ours-sync-lookup', 'lever experiment: our relay\'s sockets get a synchronous address lookup (api entry only)').default(false))
    .addOption(new Option('--nice <n>', 'nice value for every benchmark process (e.g. -10 on a machine busy with other work; needs root)').default(0).argParser(Number))
    .addOption(new Option('--load-processes <n>', 'generators at once, each with --allocations flows of its own (node: processes, max-rate runs only; native: threads of the one generator, every run); rates add up, the CPU printed for the generator is all of them').default(2).argParser(Number))
    .addOption(new Option('--data-threads <n>', 'native: data threads of the relay under test (1 = coturn\'s one relay thread)').default(1).argParser(Number))
    .addOption(new Option('--json <file>', 'also write every raw result to this file'))
    .parse()
  const o = program.opts<Omit<BenchOptions, 'servers' | 'scenarios' | 'relayArgs' | 'relayNodeArgs' | 'echo'> & { servers: string; scenarios: string; relayArg: string[]; relayNodeArg: string[]; echo?: BenchOptions['echo'] }>()
  const opts: BenchOptions = {
    ...o, servers: o.servers.split(',') as ServerName[], scenarios: o.scenarios.split(','), relayArgs: o.relayArg, relayNodeArgs: o.relayNodeArg,
    echo: o.echo ?? (o.load === 'native' ? 'native' : 'node'),
  }
  if (opts.servers.includes('coturn') && !onPath('turnserver')) {
    log('turnserver (coturn) is not on PATH: measuring ours alone, no ratios')
    opts.servers = opts.servers.filter((s) => s !== 'coturn')
  }
  if (opts.oursSyncLookup && opts.oursEntry !== 'api') throw new Error('--ours-sync-lookup works with --ours-entry api only')
  if (opts.serverCpuQuota && !cpuQuotaAvailable()) throw new Error('--server-cpu-quota needs the cgroup v1 cpu controller at /sys/fs/cgroup/cpu')
  const where = placement(opts.pin, opts.loadCpus)
  if (where.generator) pinProcess(process.pid, where.generator)
  if (opts.load === 'node' && opts.burst !== 1) throw new Error('--burst needs --load native')
  const restorePriority = opts.nice ? raisePriority(opts.nice) : () => {}
  process.once('SIGINT', () => { restorePriority(); process.exit(130) })
  const runtime = import.meta.url.endsWith('.ts') ? 'tsx (TypeScript source)' : 'node (built JavaScript)'
  log(`generator: ${runtime}, node ${process.version}, ${osCpus().length} CPUs (${osCpus()[0]?.model ?? '?'}); ` +
    (where.server ? `server on CPU ${where.server}, generator and echo peer on CPU ${where.generator}` : 'no pinning') +
    (opts.nice ? `, nice ${opts.nice}` : '') + (opts.serverCpuQuota ? `, server capped at ${opts.serverCpuQuota} CPU` : ''))

  if (opts.load === 'native' || opts.echo === 'native') log(`native load side built: ${nativeProgram('udp-load')}, ${nativeProgram('udp-echo')}`)
  if (opts.echo === 'turnutils' && !onPath('turnutils_peer')) throw new Error('--echo turnutils needs turnutils_peer (coturn) on PATH')
  const echo: PeerProcess = opts.echo === 'turnutils'
    ? await startTurnutilsPeer({ cpus: where.echo, nice: opts.nice })
    : opts.echo === 'native' ? await startNativeEcho({ cpus: where.echo, nice: opts.nice }) : await startEchoPeer({ cpus: where.echo, nice: opts.nice })
  log(`relayed ports: ${BENCH_RELAY_PORTS.min}-${BENCH_RELAY_PORTS.max} for every server (the kernel's ephemeral range: ${ephemeralRange()})`)
  log(`load side: ${opts.load} generator${opts.load === 'native' ? ` (${opts.loadProcesses} thread(s)${opts.burst > 1 ? `, burst ${opts.burst}` : ''})` : ''}, echo peer: ${opts.echo} on ${echo.host}:${echo.port}`)
  const results: Record<string, unknown> = { options: opts, placement: where, runtime, node: process.version, cpu: osCpus()[0]?.model }
  const rows: Row[] = []
  try {
    if (opts.scenarios.includes('max') || opts.scenarios.includes('fixed') || opts.scenarios.includes('storm')) {
      const { max, fixed, fixedRate, storm } = await packetScenarios(opts, where, echo)
      Object.assign(results, { max, fixed, fixedRate, storm })
      const m = (n: ServerName, f: (r: PacketRunResult) => number, from: PacketRows): number | undefined =>
        from[n].length ? median(from[n].map(f)) : undefined
      const perRt = (r: PacketRunResult): number => (serverCpu(r.cpu) / ((r.pps * r.measuredMs) / 1000)) * 1e6
      const perServer = (f: (r: PacketRunResult) => number, from: PacketRows): Pick<Row, ServerName> => {
        const v = (n: ServerName): number | undefined => { const x = m(n, f, from); return x === undefined || Number.isNaN(x) ? undefined : x }
        return { ours: v('ours'), native: v('native'), coturn: v('coturn'), floor: v('floor') }
      }
      if (opts.scenarios.includes('max')) {
        const s = `1 max rate (${opts.load} load ${opts.loadProcesses}×${opts.allocations}×${opts.payload} B, window ${Math.max(opts.window, opts.burst)}${opts.burst > 1 ? `, burst ${opts.burst}` : ''})`
        rows.push(
          { scenario: s, metric: 'round trips/s', ours: m('ours', (r) => r.pps, max), native: m('native', (r) => r.pps, max), coturn: m('coturn', (r) => r.pps, max), floor: m('floor', (r) => r.pps, max), better: 'higher', target: '≥ 1.0', unit: num(0) },
          { scenario: '', metric: 'Mbps (payload, each way)', ours: m('ours', (r) => r.mbps, max), native: m('native', (r) => r.mbps, max), coturn: m('coturn', (r) => r.mbps, max), floor: m('floor', (r) => r.mbps, max), better: 'info', unit: num(1) },
          { scenario: '', metric: 'loss', ours: m('ours', (r) => r.lossRatio, max), native: m('native', (r) => r.lossRatio, max), coturn: m('coturn', (r) => r.lossRatio, max), floor: m('floor', (r) => r.lossRatio, max), better: 'info', unit: pct },
          { scenario: '', metric: 'server CPU µs per round trip', ours: m('ours', perRt, max), native: m('native', perRt, max), coturn: m('coturn', perRt, max), floor: m('floor', perRt, max), better: 'info', unit: num(1) },
          { scenario: '', metric: 'round trips per core (projected to 100 % of a core)', ours: m('ours', (r) => 1e6 / perRt(r), max), native: m('native', (r) => 1e6 / perRt(r), max), coturn: m('coturn', (r) => 1e6 / perRt(r), max), floor: m('floor', (r) => 1e6 / perRt(r), max), better: 'higher', target: '≥ 1.5', unit: num(0) },
          { scenario: '', metric: 'server CPU (% of a core)', ours: m('ours', (r) => serverCpu(r.cpu) / r.measuredMs * 1e5, max), native: m('native', (r) => serverCpu(r.cpu) / r.measuredMs * 1e5, max), coturn: m('coturn', (r) => serverCpu(r.cpu) / r.measuredMs * 1e5, max), floor: m('floor', (r) => serverCpu(r.cpu) / r.measuredMs * 1e5, max), better: 'info', unit: num(0) },
          ...(serverCap(opts, where) ? [
            { scenario: '', metric: `server CPU ÷ its cap of ${serverCap(opts, where)} CPU (< 0.90: not server-bound)`, ...perServer((r) => serverCpu(r.cpu) / (r.measuredMs / 1000) / serverCap(opts, where), max), better: 'info' as const, unit: num(2) },
            { scenario: '', metric: `WARNING runs not server-bound (of ${opts.repeats})`, ...notBound(max, opts.servers, serverCap(opts, where)), better: 'info' as const, unit: num(0) },
          ] : []),
          { scenario: '', metric: 'load side CPU, generator + echo (% of a core)', ...perServer((r) => loadCpu(r) / r.measuredMs * 1e5, max), better: 'info', unit: num(0) },
          { scenario: '', metric: 'generator CPU µs per round trip', ...perServer((r) => (r.cpu.generator ?? 0) / ((r.pps * r.measuredMs) / 1000) * 1e6, max), better: 'info', unit: num(2) },
          { scenario: '', metric: 'engine: mean datagrams per recvmmsg', ...perServer((r) => meanBatch(engineOf(r)) ?? Number.NaN, max), better: 'info', unit: num(1) },
        )
      }
      if (opts.scenarios.includes('fixed')) {
        const s = `2 fixed ${fixedRate.toLocaleString('en-US')} pkt/s (${opts.fixedRate > 0 ? '--fixed-rate' : '½ slower max'})`
        rows.push(
          { scenario: s, metric: 'round trip p50 (µs)', ours: m('ours', (r) => r.rttUs.p50, fixed), native: m('native', (r) => r.rttUs.p50, fixed), coturn: m('coturn', (r) => r.rttUs.p50, fixed), floor: m('floor', (r) => r.rttUs.p50, fixed), better: 'info', unit: num(0) },
          { scenario: '', metric: 'round trip p99 (µs)', ours: m('ours', (r) => r.rttUs.p99, fixed), native: m('native', (r) => r.rttUs.p99, fixed), coturn: m('coturn', (r) => r.rttUs.p99, fixed), floor: m('floor', (r) => r.rttUs.p99, fixed), better: 'lower', target: '≤ 1.0', unit: num(0) },
          { scenario: '', metric: 'achieved round trips/s', ours: m('ours', (r) => r.pps, fixed), native: m('native', (r) => r.pps, fixed), coturn: m('coturn', (r) => r.pps, fixed), floor: m('floor', (r) => r.pps, fixed), better: 'info', unit: num(0) },
          { scenario: '', metric: 'loss', ours: m('ours', (r) => r.lossRatio, fixed), native: m('native', (r) => r.lossRatio, fixed), coturn: m('coturn', (r) => r.lossRatio, fixed), floor: m('floor', (r) => r.lossRatio, fixed), better: 'info', unit: pct },
          { scenario: '', metric: 'server CPU (% of a core)', ...perServer((r) => serverCpu(r.cpu) / r.measuredMs * 1e5, fixed), better: 'info', unit: num(0) },
          { scenario: '', metric: 'load side CPU, generator + echo (% of a core)', ...perServer((r) => loadCpu(r) / r.measuredMs * 1e5, fixed), better: 'info', unit: num(0) },
          { scenario: '', metric: 'engine: mean datagrams per recvmmsg', ...perServer((r) => meanBatch(engineOf(r)) ?? Number.NaN, fixed), better: 'info', unit: num(1) },
        )
      }
    }
    if (opts.scenarios.includes('storm')) {
      const { storm } = results as { storm: Record<ServerName, StormRun[]> }
      const m = (n: ServerName, f: (r: StormRun) => number): number | undefined => (storm[n].length ? median(storm[n].map(f)) : undefined)
      const per = (f: (r: StormRun) => number): Pick<Row, ServerName> => ({ ours: m('ours', f), native: m('native', f), coturn: m('coturn', f) })
      rows.push(
        { scenario: `6 media ${opts.stormMediaRate.toLocaleString('en-US')} pkt/s during ${opts.stormRate.toLocaleString('en-US')} allocations/s`, metric: 'round trip p50 (µs), no storm', ...per((r) => r.quiet.rttUs.p50), better: 'info', unit: num(0) },
        { scenario: '', metric: 'round trip p99 (µs), no storm', ...per((r) => r.quiet.rttUs.p99), better: 'info', unit: num(0) },
        { scenario: '', metric: 'round trip p50 (µs), storm', ...per((r) => r.storm.rttUs.p50), better: 'info', unit: num(0) },
        { scenario: '', metric: 'round trip p99 (µs), storm', ...per((r) => r.storm.rttUs.p99), better: 'lower', unit: num(0) },
        { scenario: '', metric: 'round trip max (µs), storm', ...per((r) => r.storm.rttUs.max), better: 'info', unit: num(0) },
        { scenario: '', metric: 'loss, storm', ...per((r) => r.storm.lossRatio), better: 'info', unit: pct },
        { scenario: '', metric: 'allocations/s achieved', ...per((r) => (r.allocations.ok / r.allocations.ms) * 1000), better: 'info', unit: num(0) },
        { scenario: '', metric: 'server CPU (% of a core), storm', ...per((r) => serverCpu(r.storm.cpu) / r.storm.measuredMs * 1e5), better: 'info', unit: num(0) },
      )
    }
    if (opts.scenarios.includes('threads') && opts.servers.includes('native')) {
      const scaling = await threadScaling(opts, echo)
      results.threads = scaling
      const one = median(scaling[1].map((r) => r.pps))
      const two = median(scaling[2].map((r) => r.pps))
      const threadQuota = opts.threadCpuQuota ?? opts.serverCpuQuota
      const cap = threadQuota ? `, each thread capped at ${threadQuota} CPU` : ', uncapped'
      rows.push(
        { scenario: `5 native data threads${cap}`, metric: 'round trips/s on 1 thread', native: one, better: 'info', unit: num(0) },
        { scenario: '', metric: 'round trips/s on 2 threads', native: two, better: 'info', unit: num(0) },
        { scenario: '', metric: '2 threads ÷ 1 thread', native: two / one, better: 'info', target: '≥ 1.8', check: (v) => v >= 1.8, unit: num(2) },
        { scenario: '', metric: 'round trips per data-thread CPU second, 2 threads ÷ 1', native: median(scaling[2].map(perThreadCpu)) / median(scaling[1].map(perThreadCpu)), better: 'info', unit: num(2) },
        ...(threadQuota ? [
          { scenario: '', metric: `WARNING runs with a data thread under its cap, on 1 / 2 threads (of ${opts.repeats})`, native: scaling[1].filter((r) => !threadsBound(r, threadQuota)).length, better: 'info' as const, unit: num(0) },
          { scenario: '', metric: '', native: scaling[2].filter((r) => !threadsBound(r, threadQuota)).length, better: 'info' as const, unit: num(0) },
        ] : []),
        { scenario: '', metric: 'server CPU (% of a core) on 1 / 2 threads', native: median(scaling[1].map((r) => serverCpu(r.cpu) / r.measuredMs * 1e5)), better: 'info', unit: num(0) },
        { scenario: '', metric: '', native: median(scaling[2].map((r) => serverCpu(r.cpu) / r.measuredMs * 1e5)), better: 'info', unit: num(0) },
        ...[0, 1].map((t) => ({
          scenario: '', metric: `2 threads: data thread ${t} CPU (% of a core)`,
          native: median(scaling[2].map((r) => ((engineOf(r)[t]?.cpuSeconds ?? Number.NaN) / r.measuredMs) * 1e5)), better: 'info' as const, unit: num(0),
        })),
        { scenario: '', metric: '2 threads: quieter thread\'s share of packets', native: median(scaling[2].map((r) => {
          const rx = engineOf(r).map((t) => t.rxPackets)
          return rx.length < 2 ? Number.NaN : Math.min(...rx) / rx.reduce((x, y) => x + y, 0)
        })), better: 'info', unit: pct },
        { scenario: '', metric: 'load side CPU (% of a core) on 1 / 2 threads', native: median(scaling[1].map((r) => loadCpu(r) / r.measuredMs * 1e5)), better: 'info', unit: num(0) },
        { scenario: '', metric: '', native: median(scaling[2].map((r) => loadCpu(r) / r.measuredMs * 1e5)), better: 'info', unit: num(0) },
      )
    }
    if (opts.scenarios.includes('allocs')) {
      const allocs = await allocationScenario(opts, where)
      results.allocs = allocs
      const m = (n: ServerName, f: (r: { alloc: PhaseResult; release: PhaseResult }) => number): number | undefined =>
        allocs[n].length ? median(allocs[n].map(f)) : undefined
      rows.push(
        { scenario: `3 ${opts.allocTotal} allocations, ${opts.allocConcurrency} in flight`, metric: 'allocations/s (401 + auth Allocate)', ours: m('ours', (r) => r.alloc.perSecond), native: m('native', (r) => r.alloc.perSecond), coturn: m('coturn', (r) => r.alloc.perSecond), better: 'higher', target: '≥ 1.0', unit: num(0) },
        { scenario: '', metric: 'server CPU µs per allocation', ours: m('ours', (r) => serverCpu(r.alloc.cpu) / r.alloc.ok * 1e6), native: m('native', (r) => serverCpu(r.alloc.cpu) / r.alloc.ok * 1e6), coturn: m('coturn', (r) => serverCpu(r.alloc.cpu) / r.alloc.ok * 1e6), better: 'info', unit: num(0) },
        { scenario: '', metric: 'releases/s (Refresh 0)', ours: m('ours', (r) => r.release.perSecond), native: m('native', (r) => r.release.perSecond), coturn: m('coturn', (r) => r.release.perSecond), better: 'info', unit: num(0) },
        { scenario: '', metric: 'server CPU µs per release', ours: m('ours', (r) => serverCpu(r.release.cpu) / r.release.ok * 1e6), native: m('native', (r) => serverCpu(r.release.cpu) / r.release.ok * 1e6), coturn: m('coturn', (r) => serverCpu(r.release.cpu) / r.release.ok * 1e6), better: 'info', unit: num(0) },
        { scenario: '', metric: 'failed allocations', ours: m('ours', (r) => r.alloc.failed), native: m('native', (r) => r.alloc.failed), coturn: m('coturn', (r) => r.alloc.failed), better: 'info', unit: num(0) },
      )
    }
    if (opts.scenarios.includes('memory')) {
      const mem = await memoryScenario(opts, where)
      results.memory = mem
      rows.push(
        { scenario: `4 ${opts.idleAllocations} idle allocations`, metric: 'heap per allocation (after GC)', ours: mem.ours?.heapPerAllocation, native: mem.native?.heapPerAllocation, better: 'info', target: '< 4096 B', check: (v) => v < 4096, unit: bytes },
        { scenario: '', metric: 'RSS per allocation', ours: mem.ours?.rssPerAllocation, native: mem.native?.rssPerAllocation, coturn: mem.coturn?.rssPerAllocation, better: 'info', unit: bytes },
      )
    }
  } finally {
    await echo.stop()
    restorePriority()
  }
  const out = table(rows, opts.servers)
  process.stdout.write(`\n${out}\n`)
  if (opts.json) writeFileSync(opts.json, JSON.stringify({ ...results, table: out }, null, 2))
}

await main()

function ephemeralRange(): string {
  try {
    return readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().replace(/\s+/, '-')
  } catch {
    return 'unknown'
  }
}
