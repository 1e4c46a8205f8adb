/**
 * The relay benchmark's native load side, TypeScript half. TURN stays here: the flows are
 * allocated, authenticated and bound to the echo peer by TurnClient (packet-load's
 * setupFlows) on sockets bound to known local ports; `handOver` then closes those sockets
 * (without releasing anything) and each run starts loadtest/native/udp-load, which binds
 * the same ports and only moves ChannelData — recvmmsg/sendmmsg per socket, epoll, one or
 * more threads — and reports one JSON line with its own CPU (getrusage).
 *
 * Lifetimes: allocations and channel bindings last 600 s, the permission a ChannelBind
 * installs 300 s, and nothing refreshes them while the C process holds the ports. So
 * before each run, `runNativeLoad` re-binds (a fresh TurnClient on the same port: ChannelBind
 * and Refresh) any set bound more than REBIND_AFTER_MS ago.
 */
import { spawn } from 'node:child_process'
import dgram from 'node:dgram'
import { createInterface } from 'node:readline'

import { dataThreadDelta, scrapeDataThreads, type DataThreadScrape, type DataThreadWindow } from './engine-metrics.js'
import { nativeProgram } from './native-build.js'
import type { Flow, PacketRunResult } from './packet-load.js'
import { CpuMeter } from './proc-stats.js'
import { placed, type Placement } from './spawn-node.js'
import { TurnClient, type TransportAddress } from '../relay/client/turn-client.js'

/** Well inside the 300 s permission lifetime, allowing for one long run after the check. */
const REBIND_AFTER_MS = 120_000

/**
 * Local addresses for `count` flows that no one else takes while the generator does not
 * hold them: spread over `hosts` loopback addresses 127.0.1.x (several source addresses,
 * so SO_REUSEPORT spreads flows over the engine's threads, and apart from the 127.0.0.1
 * other work on the machine uses), on ports below the ephemeral range (which port-0 binds
 * never pick) and below coturn's relay ports (20000+). Each is checked free by binding it.
 */
export async function pickSourceAddresses(count: number, hosts = 4): Promise<{ host: string; port: number }[]> {
  const picked: { host: string; port: number }[] = []
  let port = 10_000 + Math.floor(Math.random() * 8_000)
  while (picked.length < count) {
    if (++port >= 20_000) port = 10_000
    const host = `127.0.1.${1 + (picked.length % hosts)}`
    if (await udpPortFree(host, port)) picked.push({ host, port })
  }
  return picked
}

function udpPortFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4')
    s.once('error', () => { s.close(); resolve(false) })
    s.bind(port, host, () => s.close(() => resolve(true)))
  })
}

interface HandedFlow {
  readonly local: TransportAddress
  readonly server: { host: string; port: number }
  readonly channel: number
  readonly credential: { username: string; password: string }
}

/** Flows whose sockets TypeScript has closed for the native generator to take over. */
export interface NativeFlows {
  readonly flows: readonly HandedFlow[]
  readonly peer: TransportAddress
  /** false: the floor relay, nothing to keep alive. */
  readonly allocated: boolean
  boundAt: number
}

/** Closes the flows' sockets, keeping their allocations and channels on the server. */
export async function handOver(
  flows: readonly Flow[],
  opts: { peer: TransportAddress; allocated: boolean },
): Promise<NativeFlows> {
  const handed = flows.map((f) => ({ local: f.client.localAddress, server: f.client.server, channel: f.channel, credential: f.credential }))
  await Promise.all(flows.map((f) => f.client.close()))
  return { flows: handed, peer: opts.peer, allocated: opts.allocated, boundAt: Date.now() }
}

/** Re-binds each flow's channel (which refreshes its permission) and refreshes its allocation, from its own port. */
export async function rebind(set: NativeFlows): Promise<void> {
  if (!set.allocated) return
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < set.flows.length) {
      const f = set.flows[next++]!
      const client = await TurnClient.open({ server: f.server, ...f.credential, localHost: f.local.address, localPort: f.local.port, requireAllocation: false })
      try {
        await client.channelBind(f.channel, set.peer)
        await client.refresh()
      } finally {
        await client.close()
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(16, set.flows.length) }, worker))
  set.boundAt = Date.now()
}

export interface NativeRunOptions {
  mode: 'max' | 'fixed'
  payloadBytes: number
  warmupMs: number
  durationMs: number
  /** max: packets in flight per flow (rounded up to a whole burst). */
  window?: number
  /** fixed: packets/s in total. */
  rate?: number
  /** Packets sent back to back to one flow per send opportunity (one sendmmsg). */
  burst?: number
  lossTimeoutMs?: number
  /** Generator threads; the flows are dealt round-robin over them. */
  threads?: number
  bufferBytes?: number
  /** Processes metered over the measurement window (server, echo), by name. */
  cpuPids?: Record<string, number>
  /** Our relay's metrics base URL: the engine's per data thread counters over the window. */
  metricsUrl?: string | undefined
  placement?: Placement
}

/** What udp-load prints last. */
interface LoadReport {
  pps: number
  sent: number
  received: number
  lost: number
  late: number
  arrived: number
  sendErrors: number
  measuredMs: number
  cpuUser: number
  cpuSystem: number
  threads: number
  flows: number
  recvCalls: number
  recvPackets: number
  sendCalls: number
  sendPackets: number
  rttNs: { count: number; min: number; max: number; mean: number; p50: number; p90: number; p99: number; p999: number }
}

export interface NativeRunResult extends PacketRunResult {
  /** The generator's own figures (its CPU is also `cpu.generator`). */
  load: Omit<LoadReport, 'rttNs'>
  /** Our engine's data threads over the window; [] for the ts path and coturn. */
  engine: DataThreadWindow[]
}

let runCounter = 0

export async function runNativeLoad(set: NativeFlows, opts: NativeRunOptions): Promise<NativeRunResult> {
  if (set.allocated && Date.now() - set.boundAt > REBIND_AFTER_MS) await rebind(set)
  const args = [
    '--mode', opts.mode, '--payload', String(opts.payloadBytes),
    '--warmup-ms', String(opts.warmupMs), '--duration-ms', String(opts.durationMs),
    '--window', String(opts.window ?? 4), '--burst', String(opts.burst ?? 1),
    '--threads', String(opts.threads ?? 1), '--run-id', String((++runCounter * 2654435761) >>> 0),
    '--loss-timeout-ms', String(opts.lossTimeoutMs ?? 1000), '--buffer-bytes', String(opts.bufferBytes ?? 1 << 20),
    ...(opts.mode === 'fixed' ? ['--rate', String(opts.rate ?? 0)] : []),
  ]
  const child = spawn(...placed(nativeProgram('udp-load'), args, opts.placement), { stdio: ['pipe', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString() })
  child.stdin!.end(set.flows.map((f) => `${f.local.address} ${f.local.port} ${f.server.host} ${f.server.port} ${f.channel.toString(16)}\n`).join(''))
  const meter = new CpuMeter(opts.cpuPids ?? {})
  let cpu: Record<string, number> = {}
  let before: Promise<DataThreadScrape> | undefined
  let after: Promise<DataThreadScrape> | undefined
  const scrape = (): Promise<DataThreadScrape> => (opts.metricsUrl ? scrapeDataThreads(opts.metricsUrl).catch(() => []) : Promise.resolve([]))
  const report = await new Promise<LoadReport>((resolve, reject) => {
    let result: LoadReport | undefined
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const msg = JSON.parse(line) as { event?: string } & LoadReport
      if (msg.event === 'measure-start') { meter.start(); before = scrape() }
      else if (msg.event === 'measure-end') { cpu = meter.stop(); after = scrape() }
      else result = msg
    })
    child.once('error', reject)
    child.once('close', (code) => {
      if (code === 0 && result) resolve(result)
      else reject(new Error(`udp-load exited with code ${code}: ${stderr.trim() || 'no result'}`))
    })
  })
  const engine = before && after ? dataThreadDelta(await before, await after) : []
  const { rttNs, ...load } = report
  const ns = (v: number): number => v / 1000
  return {
    pps: report.pps,
    mbps: (report.pps * opts.payloadBytes * 8) / 1e6,
    sent: report.sent,
    received: report.received,
    lost: report.lost,
    lossRatio: report.sent === 0 ? 0 : report.lost / report.sent,
    late: report.late,
    rttUs: { count: rttNs.count, min: ns(rttNs.min), max: ns(rttNs.max), mean: ns(rttNs.mean), p50: ns(rttNs.p50), p90: ns(rttNs.p90), p99: ns(rttNs.p99), p999: ns(rttNs.p999) },
    cpu: { ...cpu, generator: report.cpuUser + report.cpuSystem },
    measuredMs: report.measuredMs,
    load,
    engine,
  }
}
