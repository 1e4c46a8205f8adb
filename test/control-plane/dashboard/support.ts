/**
 * Dashboard test support: a listening control plane of the app fixture's network (real
 * Redis under a unique prefix), with dashboard options, and a WebSocket client that
 * collects the dashboard's messages and awaits them with a bounded wait.
 */
import WebSocket from 'ws'

import { buildApp, type AppOptions, type ControlPlaneApp } from '../../../control-plane/app.js'
import type { ServerMessage } from '../../../control-plane/dashboard/protocol.js'
import { openRegionState, type RegionState } from '../../../state/region-state.js'
import { REDIS_URL, type Network } from '../app/fixture.js'

export interface ListeningRegion {
  readonly app: ControlPlaneApp
  readonly state: RegionState
  /** http://127.0.0.1:<port> */
  readonly url: string
  close(): Promise<void>
}

export async function listenRegion(net: Network, region: string, options: Partial<AppOptions> = {}): Promise<ListeningRegion> {
  const state = openRegionState({ region, redis: { url: REDIS_URL }, prefix: net.prefix })
  await state.ready()
  const app = await buildApp({ region, nodeId: `${region}-cp-1`, config: () => net.config, state, defaultMetrics: false, ...options })
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  return {
    app, state, url,
    async close() {
      await app.close()
      await state.close()
    },
  }
}

export interface DashboardClient {
  readonly messages: ServerMessage[]
  readonly closed: Promise<{ code: number; reason: string }>
  /** The first message (already received or to come) matching `match`, or a clear failure after `timeoutMs`. */
  next<T extends ServerMessage['type']>(type: T, match?: (m: Extract<ServerMessage, { type: T }>) => boolean, timeoutMs?: number): Promise<Extract<ServerMessage, { type: T }>>
  send(data: string): void
  close(): void
}

export async function openDashboardSocket(httpUrl: string): Promise<DashboardClient> {
  const ws = new WebSocket(`${httpUrl.replace(/^http/, 'ws')}/dashboard/ws`)
  const messages: ServerMessage[] = []
  const waiters = new Set<() => void>()
  ws.on('message', (data) => {
    messages.push(JSON.parse(String(data)) as ServerMessage)
    for (const w of [...waiters]) w()
  })
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })))
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  return {
    messages,
    closed,
    next(type, match = () => true, timeoutMs = 5000) {
      type M = Extract<ServerMessage, { type: typeof type }>
      const find = () => messages.find((m): m is M => m.type === type && match(m as M))
      return new Promise((resolve, reject) => {
        const found = find()
        if (found) return resolve(found)
        const check = () => {
          const m = find()
          if (!m) return
          waiters.delete(check)
          clearTimeout(timer)
          resolve(m)
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`no '${type}' dashboard message matching within ${timeoutMs} ms (got: ${messages.map((m) => m.type).join(', ') || 'nothing'})`))
        }, timeoutMs)
        timer.unref()
        waiters.add(check)
      })
    },
    send: (data) => ws.send(data),
    close: () => ws.close(),
  }
}

/** Resolves with `p` or fails with `what` after `ms`. */
export function within<T>(p: Promise<T>, what: string, ms = 5000): Promise<T> {
  // A referenced timer: it also keeps the process alive while the awaited thing (driven by unref'd timers) happens.
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<T>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)
  })
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer))
}
