/**
 * The servers the relay benchmark compares, behind one shape: where to send, which
 * process to meter, how to mint credentials, how to stop. Ours runs as its own process
 * (`sovereign relay` standalone, from the build when the benchmark runs from the build,
 * else from source under tsx); coturn runs with one relay thread.
 */
import type { ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

import { freeUdpPort, startCoturn, waitForBinding } from './coturn.js'
import { HeapProbe, freeTcpPort } from './heap-probe.js'
import { turnRestCredential, type RestCredential } from '../relay/client/rest-credential.js'
import { siblingModule, spawnNode, stopChild } from './spawn-node.js'

/**
 * `ours` is our relay on the TypeScript data path, `native` the same relay on the native
 * engine (relay/native); `floor` is loadtest/floor-relay: no TURN, only Node's dgram cost
 * (packet scenarios only).
 */
export type ServerName = 'ours' | 'native' | 'coturn' | 'floor'

/**
 * The relayed-port range of every server in the benchmark: the same for ours and coturn,
 * as large as the default 49152-65535 (both servers' default), and below Linux's default
 * ephemeral range (32768-60999, /proc/sys/net/ipv4/ip_local_port_range) so that a
 * relayed port does not collide with the load generator's thousands of client sockets.
 * (With the defaults, 72 % of the range overlaps the ephemeral one and a bind is refused
 * now and then on either server.)
 */
export const BENCH_RELAY_PORTS = { min: 16384, max: 32767 } as const

export interface ServerUnderTest {
  readonly name: ServerName
  readonly host: string
  /** One listening port per relay process (ours may run several). */
  readonly ports: readonly number[]
  readonly pids: readonly number[]
  credential(i: number): RestCredential
  /** The inspector-backed heap probe of process 0, when started with `inspect`. */
  readonly heapProbe: HeapProbe | undefined
  /** Ours: process 0's metrics base URL (GET /metrics), e.g. for the native engine's data thread counters. */
  readonly metricsUrl?: string
  stop(): Promise<void>
}

export interface StartServerOptions {
  secret: string
  host?: string
  /** taskset CPU list for the server process(es). */
  cpus?: string | undefined
  nice?: number | undefined
  /** Ours only: how many relay processes (each its own port). */
  processes?: number
  /** Ours only: start process 0 with the V8 inspector for heap measurement. */
  inspect?: boolean
  /** Ours only: extra `sovereign relay` flags (cli entry). */
  relayArgs?: string[]
  /** Ours only: extra node flags for the relay process(es), e.g. --cpu-prof. */
  nodeArgs?: string[]
  /** Ours only (api entry): give the relay's sockets a synchronous address lookup (lever experiment). */
  syncLookup?: boolean
  /** Ours only: start through the CLI (`sovereign relay`) or through startRelayNode in loadtest/relay-process. */
  entry?: 'cli' | 'api'
  /** Native only: data threads (default 1, as coturn's one relay thread). */
  dataThreads?: number
  /** Our relay: start-up prewarm, in allocations (default 3,000, as `sovereign relay`). */
  prewarm?: number
}

/** The CLI entry: dist/cli/main.js next to a built benchmark, cli/main.ts next to the source. */
export function cliEntry(): string {
  const here = import.meta.url
  const entry = fileURLToPath(new URL(here.endsWith('.ts') ? '../cli/main.ts' : '../cli/main.js', here))
  if (!existsSync(entry)) throw new Error(`relay CLI not found at ${entry}`)
  return entry
}

export async function startOurs(opts: StartServerOptions, dataPath: 'ts' | 'native' = 'ts'): Promise<ServerUnderTest> {
  const host = opts.host ?? '127.0.0.1'
  const dataThreads = opts.dataThreads ?? 1
  const children: ChildProcess[] = []
  const ports: number[] = []
  const metricsUrls: string[] = []
  let heapProbe: HeapProbe | undefined
  try {
    for (let i = 0; i < (opts.processes ?? 1); i++) {
      const port = await freeUdpPort(host)
      const metricsPort = await freeTcpPort(host)
      const inspectPort = opts.inspect && i === 0 ? await freeTcpPort(host) : undefined
      const [entry, args] = opts.entry === 'api'
        ? [siblingModule(import.meta.url, './relay-process'), [JSON.stringify({
            listen: [`${host}:${port}`], secrets: [opts.secret], realm: 'sovereign', allowPeers: ['127.0.0.0/8'], metrics: `${host}:${metricsPort}`,
            ports: { ...BENCH_RELAY_PORTS },
            dataPath, ...(dataPath === 'native' ? { dataThreads } : {}),
            prewarm: opts.prewarm ?? 3000,
          })]]
        : [cliEntry(), [
            'relay',
            '--listen', `${host}:${port}`,
            '--secret', opts.secret,
            '--allow-peers', '127.0.0.0/8',
            '--metrics', `${host}:${metricsPort}`,
            '--ports', `${BENCH_RELAY_PORTS.min}-${BENCH_RELAY_PORTS.max}`,
            '--grace', '1', // stop() sends SIGTERM; no allocation needs the default grace here
            '--data-path', dataPath,
            ...(dataPath === 'native' ? ['--data-threads', String(dataThreads)] : []),
            '--prewarm', String(opts.prewarm ?? 3000),
            ...(opts.relayArgs ?? []),
          ]]
      const child = spawnNode(
        entry,
        args,
        {
          cpus: opts.cpus,
          nice: opts.nice,
          ...(opts.syncLookup ? { env: { ...process.env, BENCH_SYNC_LOOKUP: '1' } } : {}),
          nodeArgs: [...(opts.nodeArgs ?? []), ...(inspectPort !== undefined ? [`--inspect=${host}:${inspectPort}`] : [])],
          stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
        },
      )
      children.push(child)
      const exited = new Promise<never>((_, reject) => {
        child.once('exit', (code) => reject(new Error(`our relay exited during start-up (code ${code})`)))
      })
      await Promise.race([waitForBinding(host, port, 20_000), exited])
      exited.catch(() => { /* only start-up exits are errors here */ })
      ports.push(port)
      metricsUrls.push(`http://${host.includes(':') ? `[${host}]` : host}:${metricsPort}`)
      if (inspectPort !== undefined) heapProbe = await HeapProbe.connect(host, inspectPort)
    }
  } catch (err) {
    heapProbe?.close()
    await Promise.all(children.map((c) => stopChild(c)))
    throw err
  }
  return {
    name: dataPath === 'native' ? 'native' : 'ours',
    host,
    ports,
    pids: children.map((c) => c.pid ?? -1),
    heapProbe,
    ...(metricsUrls[0] !== undefined ? { metricsUrl: metricsUrls[0] } : {}),
    credential: (i) => turnRestCredential(opts.secret, `bench-${i}`),
    async stop() {
      heapProbe?.close()
      await Promise.all(children.map((c) => stopChild(c)))
    },
  }
}

export async function startCoturnServer(opts: StartServerOptions): Promise<ServerUnderTest> {
  const coturn = await startCoturn({
    secret: opts.secret,
    ...(opts.host !== undefined ? { host: opts.host } : {}),
    cpus: opts.cpus,
    nice: opts.nice,
    minPort: BENCH_RELAY_PORTS.min,
    maxPort: BENCH_RELAY_PORTS.max,
  })
  return {
    name: 'coturn',
    host: coturn.host,
    ports: [coturn.port],
    pids: [coturn.pid],
    heapProbe: undefined,
    credential: (i) => turnRestCredential(opts.secret, `bench-${i}`),
    stop: () => coturn.stop(),
  }
}

/** The floor relay forwards every client to one peer, fixed at start. */
export async function startFloor(opts: StartServerOptions & { peer: { host: string; port: number }; lookup?: 'default' | 'sync' }): Promise<ServerUnderTest> {
  const host = opts.host ?? '127.0.0.1'
  const child = spawnNode(siblingModule(import.meta.url, './floor-relay'), [host, opts.peer.host, String(opts.peer.port), opts.lookup ?? 'default'], {
    cpus: opts.cpus,
    nice: opts.nice,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  })
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`floor relay exited during start-up (code ${code})`)))
    child.once('message', (m: { type: string; port: number }) => resolve(m.port))
  })
  return {
    name: 'floor',
    host,
    ports: [port],
    pids: [child.pid ?? -1],
    heapProbe: undefined,
    credential: (i) => turnRestCredential(opts.secret, `bench-${i}`),
    stop: () => stopChild(child),
  }
}

export function startServer(
  name: ServerName,
  opts: StartServerOptions & { peer?: { host: string; port: number }; floorLookup?: 'default' | 'sync' },
): Promise<ServerUnderTest> {
  if (name === 'floor') {
    if (!opts.peer) throw new Error('the floor relay needs the echo peer address')
    return startFloor({ ...opts, peer: opts.peer, ...(opts.floorLookup ? { lookup: opts.floorLookup } : {}) })
  }
  if (name === 'ours' || name === 'native') return startOurs(opts, name === 'native' ? 'native' : 'ts')
  return startCoturnServer(opts)
}
