/**
 * Prometheus metrics of one relay, fed by the server's events (never called from the
 * protocol code). Labels are bounded enums — method, cause, reason code, direction —
 * never meeting ids, usernames or addresses.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client'

import { registerBuildInfo, type DataPath } from '../../platform/build-info.js'
import { scrapeCounter } from '../../platform/scrape-counter.js'
import type { DataThreadStats } from '../native/index.js'
import type { TurnServer } from '../server/index.js'

export interface RelayMetrics {
  readonly registry: Registry
  /** Unsubscribes from the server's events. */
  detach(): void
}

export interface RelayMetricsOptions {
  server: TurnServer
  /** Extra gauges read at scrape time (socket-layer counts). */
  sockets?: () => { tcpConnections: number; relaySockets: number; tcpClosedForGarbage: number; tlsHandshakeFailures: number }
  defaultMetrics?: boolean
  /** Which UDP data path runs, and the native engine's per data thread counters. */
  dataPath?: { kind: 'native' | 'ts'; threads: number }
  dataThreads?: () => DataThreadStats[]
}

const P = 'sovereign_relay_'

export function relayMetrics(o: RelayMetricsOptions): RelayMetrics {
  const registry = new Registry()
  const { server } = o
  // Unprefixed: the standard Node.js dashboards query process_* and nodejs_* by name.
  if (o.defaultMetrics !== false) collectDefaultMetrics({ register: registry })
  registerBuildInfo(registry, { dataPath: o.dataPath?.kind ?? 'ts' })
  const r = [registry]
  new Gauge({ name: `${P}allocations`, help: 'Current allocations', registers: r, collect() { this.set(server.table.size) } })
  new Gauge({ name: `${P}draining`, help: '1 while the relay refuses new allocations', registers: r, collect() { this.set(server.draining ? 1 : 0) } })
  new Gauge({ name: `${P}capacity`, help: 'Allocations this relay accepts at most (--capacity, relays[].capacity)', registers: r, collect() { this.set(server.quotas.capacity) } })
  scrapeCounter({ name: `${P}relay_ports_refused_total`, help: 'Relayed ports the kernel refused (held by another socket): each cost the allocation another bind', registers: r, read: () => server.portsRefused })
  if (o.sockets) {
    const sockets = o.sockets
    new Gauge({ name: `${P}tcp_connections`, help: 'Open TCP client connections', registers: r, collect() { this.set(sockets().tcpConnections) } })
    new Gauge({ name: `${P}relay_sockets`, help: 'Bound relayed UDP sockets', registers: r, collect() { this.set(sockets().relaySockets) } })
    scrapeCounter({ name: `${P}tcp_closed_for_garbage_total`, help: 'TCP connections closed for unframeable bytes', registers: r, read: () => sockets().tcpClosedForGarbage })
    scrapeCounter({ name: `${P}tls_handshake_failures_total`, help: 'TURN-over-TLS connections whose handshake failed', registers: r, read: () => sockets().tlsHandshakeFailures })
  }
  if (o.dataPath) {
    const { kind, threads } = o.dataPath
    new Gauge({ name: `${P}data_path_info`, help: 'The UDP data path that runs (native engine or TypeScript) and its data threads', labelNames: ['path', 'threads'], registers: r, collect() { this.set({ path: kind, threads: String(threads) }, 1) } })
  }
  if (o.dataThreads) dataThreadMetrics(r, o.dataThreads)
  const created = tally({ name: `${P}allocations_created_total`, help: 'Allocations created', labelNames: ['transport'], registers: r })
  const refreshed = new Counter({ name: `${P}allocations_refreshed_total`, help: 'Allocation refreshes', registers: r })
  const deleted = tally({ name: `${P}allocations_deleted_total`, help: 'Allocations deleted, by cause', labelNames: ['cause'], registers: r })
  const denied = new Counter({ name: `${P}permission_denied_total`, help: 'Allocations or peers refused by peer safety or the residency policy', labelNames: ['method', 'reason'], registers: r })
  const quota = new Counter({ name: `${P}quota_exceeded_total`, help: 'Requests refused by a quota', labelNames: ['kind'], registers: r })
  const authFailed = tally({ name: `${P}auth_failures_total`, help: 'Requests failing authentication, by STUN error code', labelNames: ['code'], registers: r })
  const requests = tally({ name: `${P}requests_total`, help: 'STUN/TURN requests answered, by method and response code (200 = success)', labelNames: ['method', 'code'], registers: r })
  const bytes = new Counter({ name: `${P}relayed_bytes_total`, help: 'Application bytes relayed', labelNames: ['direction'], registers: r })
  const packets = new Counter({ name: `${P}relayed_packets_total`, help: 'Packets relayed', labelNames: ['direction'], registers: r })
  const policyFailed = new Counter({ name: `${P}policy_failures_total`, help: 'Policy hook errors (each failed closed with a 403)', registers: r })
  const dropped = new Counter({ name: `${P}dropped_packets_total`, help: 'Packets dropped, by reason', labelNames: ['reason'], registers: r })

  const off = [
    server.events.on('allocation-created', (i) => created.add(i.transport)),
    server.events.on('allocation-refreshed', () => refreshed.inc()),
    server.events.on('allocation-deleted', (_i, cause) => deleted.add(cause)),
    server.events.on('permission-denied', (e) => denied.inc({ method: e.method, reason: e.reason })),
    server.events.on('quota-exceeded', (kind) => quota.inc({ kind })),
    server.events.on('auth-failed', (code) => authFailed.add(code)),
    server.events.on('request', (method, code) => requests.add(method, code)),
    server.events.on('bytes-relayed', (c) => {
      bytes.inc({ direction: 'to_peer' }, c.toPeerBytes)
      bytes.inc({ direction: 'to_client' }, c.toClientBytes)
      packets.inc({ direction: 'to_peer' }, c.toPeerPackets)
      packets.inc({ direction: 'to_client' }, c.toClientPackets)
    }),
    server.events.on('dropped', (reason, count) => dropped.inc({ reason }, count)),
    server.events.on('policy-failed', () => policyFailed.inc()),
  ]
  return { registry, detach: () => off.forEach((f) => f()) }
}

/**
 * A labelled counter fed per request: counts gather in plain numbers by label values
 * (one or two labels, kept as given — no key string per event) and move into the
 * prom-client counter when it is scraped; its inc() hashes and validates the labels on
 * every call, which showed on the allocation path (STYLE rule 8: batched counters).
 */
function tally(opts: { name: string; help: string; labelNames: [string] | [string, string]; registers: Registry[] }): { add(a: string | number, b?: string | number): void } {
  const pending = new Map<string | number, Map<string | number | undefined, number>>()
  const [first, second] = opts.labelNames
  new Counter({
    name: opts.name,
    help: opts.help,
    labelNames: opts.labelNames,
    registers: opts.registers,
    collect() {
      for (const [a, byB] of pending) {
        for (const [b, n] of byB) {
          if (n === 0) continue
          this.inc(second === undefined ? { [first]: String(a) } : { [first]: String(a), [second]: String(b) }, n)
          byB.set(b, 0)
        }
      }
    },
  })
  return {
    add(a, b) {
      let byB = pending.get(a)
      if (byB === undefined) pending.set(a, (byB = new Map()))
      byB.set(b, (byB.get(b) ?? 0) + 1)
    },
  }
}

/**
 * Per data thread counters of the native engine, read at scrape time (the engine counts;
 * nothing is incremented per packet here). Batch size = batched packets / batches.
 */
function dataThreadMetrics(r: Registry[], read: () => DataThreadStats[]): void {
  // Totals since start, set at scrape: reset then add, so they stay Prometheus counters.
  const total = (name: string, help: string, labelNames: string[], fill: (c: Counter<string>, s: DataThreadStats, thread: string) => void): void => {
    new Counter({ name: `${P}data_thread_${name}`, help, labelNames, registers: r, collect() {
      this.reset()
      read().forEach((s, i) => fill(this, s, String(i)))
    } })
  }
  total('packets_total', 'Datagrams received (rx) and sent (tx) by a native data thread', ['thread', 'direction'], (c, s, thread) => {
    c.inc({ thread, direction: 'rx' }, s.rxPackets)
    c.inc({ thread, direction: 'tx' }, s.txPackets)
  })
  total('bytes_total', 'UDP payload bytes received (rx) and sent (tx) by a native data thread', ['thread', 'direction'], (c, s, thread) => {
    c.inc({ thread, direction: 'rx' }, s.rxBytes)
    c.inc({ thread, direction: 'tx' }, s.txBytes)
  })
  total('batches_total', 'recvmmsg calls that returned datagrams', ['thread'], (c, s, thread) => c.inc({ thread }, s.batches))
  total('batched_packets_total', 'Datagrams returned by those calls (÷ batches = mean batch size)', ['thread'], (c, s, thread) => c.inc({ thread }, s.batchedPackets))
  total('send_calls_total', 'sendmmsg calls of a native data thread (÷ tx packets = syscalls per datagram sent)', ['thread'], (c, s, thread) => c.inc({ thread }, s.sendCalls))
  total('gso_datagrams_total', 'Datagrams sent inside UDP GSO messages (several datagrams to one destination in one message)', ['thread'], (c, s, thread) => c.inc({ thread }, s.gsoDatagrams))
  total('gro_datagrams_total', 'Datagrams from peers received inside UDP GRO buffers (a burst the peer sent as one GSO message, e.g. another relay)', ['thread'], (c, s, thread) => c.inc({ thread }, s.groDatagrams))
  total('gso_fallbacks_total', 'UDP GSO messages the kernel refused, sent again one datagram each', ['thread'], (c, s, thread) => c.inc({ thread }, s.gsoFallbacks))
  total('handed_up_total', 'Datagrams handed to the TypeScript server (STUN, indications, unknown channels)', ['thread'], (c, s, thread) => c.inc({ thread }, s.handedUp))
  total('hand_up_batches_total', 'Batches those datagrams went to the TypeScript server in (handed_up ÷ hand_up_batches = mean batch)', ['thread'], (c, s, thread) => c.inc({ thread }, s.handUpBatches))
  total('hand_up_waits_total', 'Wake-ups after which a data thread waited (at most 0.5 ms) for the TypeScript server to catch up instead of waking for each datagram', ['thread'], (c, s, thread) => c.inc({ thread }, s.handUpWaits))
  total('drops_total', 'Datagrams a native data thread dropped, by reason', ['thread', 'reason'], (c, s, thread) => {
    for (const [reason, n] of Object.entries(s.drops)) c.inc({ thread, reason }, n)
  })
  total('cpu_seconds_total', 'CPU time of a native data thread', ['thread'], (c, s, thread) => c.inc({ thread }, s.cpuSeconds))
  new Gauge({ name: `${P}data_thread_max_batch`, help: 'Largest recvmmsg batch a native data thread has seen', labelNames: ['thread'], registers: r, collect() {
    read().forEach((s, i) => this.set({ thread: String(i) }, s.maxBatch))
  } })
}
