/**
 * The allocation scenarios of the relay benchmark: many clients (one UDP socket each,
 * since an allocation is bound to its 5-tuple) allocate with full long-term
 * authentication — an unauthenticated Allocate, the 401 challenge, the authenticated
 * Allocate — with a bounded number in flight, and later release (Refresh, LIFETIME 0).
 * Opening the sockets is not timed: it is the generator's cost, not the server's.
 */
import { performance } from 'node:perf_hooks'

import { CpuMeter } from './proc-stats.js'
import { TurnClient, TurnClientError } from '../relay/client/turn-client.js'

export interface OpenClientsOptions {
  /** Client i uses servers[i % servers.length]. */
  servers: readonly { host: string; port: number }[]
  count: number
  credential: (i: number) => { username: string; password: string }
  localHost?: string
  rtoMs?: number
}

export async function openClients(opts: OpenClientsOptions): Promise<TurnClient[]> {
  const clients: TurnClient[] = []
  // Sequential batches keep the number of concurrent binds modest.
  for (let i = 0; i < opts.count; i += 256) {
    const batch = Array.from({ length: Math.min(256, opts.count - i) }, (_, k) =>
      TurnClient.open({
        server: opts.servers[(i + k) % opts.servers.length]!,
        ...opts.credential(i + k),
        ...(opts.localHost !== undefined ? { localHost: opts.localHost } : {}),
        ...(opts.rtoMs !== undefined ? { rtoMs: opts.rtoMs } : {}),
      }),
    )
    clients.push(...(await Promise.all(batch)))
  }
  return clients
}

export interface PhaseResult {
  /** Operations that succeeded per second of wall time. */
  perSecond: number
  ok: number
  failed: number
  /** Failure counts by error code / STUN code, e.g. { 'ERR_TURN_REJECTED 486': 3 }. */
  failures: Record<string, number>
  retransmissions: number
  ms: number
  cpu: Record<string, number>
}

/** Runs `op` on every client with at most `concurrency` in flight; times the whole phase. */
export async function runPhase(
  clients: readonly TurnClient[],
  op: (c: TurnClient) => Promise<unknown>,
  opts: { concurrency: number; cpuPids?: Record<string, number> },
): Promise<PhaseResult> {
  const retransmitsBefore = clients.reduce((n, c) => n + c.stats.retransmissions, 0)
  const failures: Record<string, number> = {}
  let ok = 0
  let next = 0
  const meter = new CpuMeter(opts.cpuPids ?? {})
  meter.start()
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const worker = async (): Promise<void> => {
    while (next < clients.length) {
      const c = clients[next++]!
      try {
        await op(c)
        ok++
      } catch (err) {
        const key = err instanceof TurnClientError ? `${err.code}${err.stunCode ? ` ${err.stunCode}` : ''}` : String(err)
        failures[key] = (failures[key] ?? 0) + 1
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(opts.concurrency, clients.length) }, worker))
  const ms = performance.now() - t0
  const own = process.cpuUsage(cpu0)
  const cpu = { generator: (own.user + own.system) / 1e6, ...meter.stop() }
  const failed = clients.length - ok
  return {
    perSecond: (ok / ms) * 1000,
    ok,
    failed,
    failures,
    retransmissions: clients.reduce((n, c) => n + c.stats.retransmissions, 0) - retransmitsBefore,
    ms,
    cpu,
  }
}

export const allocateOp = (c: TurnClient): Promise<unknown> => c.allocate()
export const releaseOp = (c: TurnClient): Promise<unknown> => c.release()

export async function closeClients(clients: readonly TurnClient[]): Promise<void> {
  await Promise.all(clients.map((c) => c.close()))
}

export interface PacedResult {
  /** Operations started, and of those the ones that succeeded. */
  started: number
  ok: number
  failures: Record<string, number>
  ms: number
}

/**
 * Starts `op` on the next client `ratePerSecond` times a second (at most `concurrency` in
 * flight) until `durationMs` has passed or the clients run out: a steady storm of requests
 * at a rate the server can keep up with, unlike runPhase, which goes as fast as it can.
 */
export async function runPaced(
  clients: readonly TurnClient[],
  op: (c: TurnClient) => Promise<unknown>,
  opts: { ratePerSecond: number; concurrency: number; durationMs: number },
): Promise<PacedResult> {
  const failures: Record<string, number> = {}
  const t0 = performance.now()
  let started = 0
  let ok = 0
  const running = new Set<Promise<void>>()
  while (started < clients.length) {
    const now = performance.now() - t0
    if (now >= opts.durationMs) break
    const due = (started * 1000) / opts.ratePerSecond
    if (now < due || running.size >= opts.concurrency) {
      if (running.size >= opts.concurrency) await Promise.race(running)
      else await new Promise((resolve) => setTimeout(resolve, Math.max(1, Math.floor(due - now))))
      continue
    }
    const c = clients[started++]!
    const p: Promise<void> = op(c).then(
      () => { ok++ },
      (err: unknown) => {
        const key = err instanceof TurnClientError ? `${err.code}${err.stunCode ? ` ${err.stunCode}` : ''}` : String(err)
        failures[key] = (failures[key] ?? 0) + 1
      },
    ).finally(() => running.delete(p))
    running.add(p)
  }
  await Promise.all(running)
  return { started, ok, failures, ms: performance.now() - t0 }
}
