/**
 * The SRE routing dashboard: `GET /dashboard` (page, script, stylesheet — static, no data,
 * under a strict CSP) and `GET /dashboard/ws`, the WebSocket that carries the data.
 *
 * Auth: the operator's admin key, checked exactly as the HTTP API checks it (auth.ts
 * `authenticate`), but sent as the socket's first message because browsers cannot set
 * headers on a WebSocket; the page takes it from the URL fragment, which never reaches
 * the server. Nothing is sent before the key is accepted. A wrong key gets an `error`
 * and close 4401, a tenant key 4403, silence 4408. The key is never logged (only the
 * key id of an accepted key is).
 *
 * One DashboardHub per app reads the region's state for every open page; meeting events
 * (local and from the region's other nodes) make it refresh at once.
 */
import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import type { WebSocket } from 'ws'

import { DashboardHub } from '../dashboard/dashboard-hub.js'
import { DASHBOARD_CSS } from '../dashboard/styles.js'
import { DASHBOARD_JS } from '../dashboard/client-script.js'
import { DASHBOARD_HEADERS, DASHBOARD_HTML, DASHBOARD_PATH, DASHBOARD_SCRIPT_PATH, DASHBOARD_SOCKET_PATH, DASHBOARD_STYLE_PATH } from '../dashboard/page.js'
import { AUTH_TIMEOUT_MS, CLOSE_GOING_AWAY, DASHBOARD_ERRORS, errorMessage, MAX_AUTH_BYTES, parseAuth, type DashboardErrorCode, type ServerMessage } from '../dashboard/protocol.js'
import { scopeOf } from '../dashboard/view-model.js'
import type { MeetingEventMap } from '../services/meeting-events.js'
import { regionsOf } from '../services/residency-policy.js'
import { authenticate } from './auth.js'

export interface DashboardOptions {
  /** Refresh interval while a page is open; default 1000 ms. */
  readonly intervalMs?: number
  readonly authTimeoutMs?: number
}

/** A page that cannot keep up gets no more snapshots until it drains (the next one replaces them anyway). */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024

const dashboardPlugin: FastifyPluginAsync<DashboardOptions> = async (app, options) => {
  const ctx = app.sovereign
  const hub = new DashboardHub({
    region: ctx.region,
    nodeId: ctx.nodeId,
    state: ctx.state,
    regions: () => regionsOf(ctx.config()).all(),
    liveRelays: (region) => ctx.liveRelays(region),
    now: ctx.now,
  }, {
    ...(options.intervalMs === undefined ? {} : { intervalMs: options.intervalMs }),
    onError: (err) => app.log.warn({ err }, 'dashboard refresh'),
  })
  const sockets = new Set<WebSocket>()

  const poke = () => hub.poke()
  const EVENTS = ['meeting-created', 'meeting-ended', 'meeting-locked', 'meeting-unlocked', 'participant-admitted', 'participant-waiting', 'participant-left', 'participant-removed', 'participant-denied', 'refused'] as const satisfies readonly (keyof MeetingEventMap)[]
  for (const e of EVENTS) ctx.meetings.on(e, poke)
  app.addHook('onClose', async () => {
    for (const e of EVENTS) ctx.meetings.off(e, poke)
    hub.close()
    for (const s of sockets) s.close(CLOSE_GOING_AWAY, 'server shutting down')
  })

  const asset = (path: string, type: string, body: string) =>
    app.get(path, { schema: { hide: true }, config: { auth: 'none' } }, async (_request, reply) =>
      reply.headers(DASHBOARD_HEADERS).type(type).send(body))
  asset(DASHBOARD_PATH, 'text/html; charset=utf-8', DASHBOARD_HTML)
  asset(DASHBOARD_SCRIPT_PATH, 'text/javascript; charset=utf-8', DASHBOARD_JS)
  asset(DASHBOARD_STYLE_PATH, 'text/css; charset=utf-8', DASHBOARD_CSS)

  app.get(DASHBOARD_SOCKET_PATH, { websocket: true, schema: { hide: true }, config: { auth: 'none' } }, (socket) => {
    let unsubscribe: (() => void) | undefined
    let done = false
    const send = (message: ServerMessage) => {
      if (socket.readyState !== socket.OPEN) return
      if (message.type === 'snapshot' && socket.bufferedAmount > MAX_BUFFERED_BYTES) return
      socket.send(JSON.stringify(message))
    }
    const fail = (code: DashboardErrorCode) => {
      done = true
      send(errorMessage(code))
      socket.close(DASHBOARD_ERRORS[code].close, code)
    }
    const timer = setTimeout(() => fail('SR_AUTH_TIMEOUT'), options.authTimeoutMs ?? AUTH_TIMEOUT_MS)
    timer.unref()

    socket.on('message', (data, isBinary) => {
      if (done) return
      clearTimeout(timer)
      const bytes = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data instanceof ArrayBuffer ? data.byteLength : data.length
      if (bytes > MAX_AUTH_BYTES) return fail('SR_MESSAGE_TOO_LARGE')
      const auth = isBinary ? undefined : parseAuth(Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8'))
      if (!auth) return fail('SR_PROTOCOL_VIOLATION')
      const principal = authenticate(auth.key, ctx.config())
      if (!principal) return fail('SR_UNAUTHENTICATED')
      if (principal.kind !== 'admin') return fail('SR_FORBIDDEN')
      done = true
      app.log.info({ keyId: principal.keyId }, 'dashboard opened')
      sockets.add(socket)
      send({ type: 'hello', region: ctx.region, nodeId: ctx.nodeId, scope: scopeOf(ctx.region) })
      unsubscribe = hub.subscribe(send)
    })
    socket.on('close', () => {
      clearTimeout(timer)
      sockets.delete(socket)
      unsubscribe?.()
    })
    socket.on('error', (err) => app.log.warn({ err }, 'dashboard socket'))
  })
}

export default fp(dashboardPlugin, { name: 'sovereign-dashboard', dependencies: ['sovereign-auth', '@fastify/websocket'] })
