/**
 * Prometheus metrics of this control-plane node at GET /metrics, in a registry of its
 * own (several apps in one process never collide). Names start with `sovereign_cp_`;
 * labels are bounded: route patterns (never raw URLs), status codes, reason codes from
 * geo/verdict.ts, region ids from the config, event types. No meeting or participant id
 * ever becomes a label.
 *
 * Meeting counters subscribe to the meeting service's events (only those this node
 * caused, so a region's nodes summed count each event once); nothing on a hot path
 * calls into prom-client beyond one inc per request.
 */
import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'

import type { HealthState } from '../../state/health.js'
import type { RegionState } from '../../state/region-state.js'
import { MEETING_EVENT_TYPES } from '../services/meeting-events.js'
import type { MeetingService } from '../services/meeting-service.js'

export interface ControlPlaneMetrics {
  readonly requests: Counter<'route' | 'method' | 'status'>
  readonly requestSeconds: Histogram<'route' | 'method'>
  readonly meetingsCreated: Counter<'residency_mode'>
  readonly refusals: Counter<'reason'>
  readonly redirects: Counter<'to_region' | 'kind'>
  readonly meetingEvents: Counter<'type'>
}

const HEALTH_STATES: readonly HealthState[] = ['connecting', 'connected', 'reconnecting', 'down', 'closed']

export function createMetrics(registry: Registry, options: { defaultMetrics?: boolean } = {}): ControlPlaneMetrics {
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'sovereign_cp_' })
  const registers = [registry]
  return {
    requests: new Counter({ name: 'sovereign_cp_http_requests_total', help: 'HTTP requests by route pattern, method and status', labelNames: ['route', 'method', 'status'], registers }),
    requestSeconds: new Histogram({
      name: 'sovereign_cp_http_request_duration_seconds', help: 'HTTP request latency by route pattern', labelNames: ['route', 'method'], registers,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    }),
    meetingsCreated: new Counter({ name: 'sovereign_cp_meetings_created_total', help: 'meetings created on this node', labelNames: ['residency_mode'], registers }),
    refusals: new Counter({ name: 'sovereign_cp_refusals_total', help: 'residency decisions refused, by verdict reason (geo/verdict.ts)', labelNames: ['reason'], registers }),
    redirects: new Counter({ name: 'sovereign_cp_redirects_total', help: 'requests answered 307 to the home region (guarantee 3)', labelNames: ['to_region', 'kind'], registers }),
    meetingEvents: new Counter({ name: 'sovereign_cp_meeting_events_total', help: 'meeting service events caused by this node', labelNames: ['type'], registers }),
  }
}

/** Follows the service's events and the state's connection health. Returns a detach function. */
export function observe(metrics: ControlPlaneMetrics, service: MeetingService, state: RegionState, registry: Registry): () => void {
  const detach: Array<() => void> = []
  for (const type of MEETING_EVENT_TYPES) {
    const on = (event: { origin: string }) => {
      if (event.origin === service.nodeId) metrics.meetingEvents.inc({ type })
    }
    service.on(type, on)
    detach.push(() => service.off(type, on))
  }
  const onCreated = (event: { origin: string; meetingId: string }) => {
    if (event.origin !== service.nodeId) return
    // the residency mode is in the record; the event stays small, so look it up lazily
    void service.get(event.meetingId).then((m) => metrics.meetingsCreated.inc({ residency_mode: m.residencyMode }), () => metrics.meetingsCreated.inc({ residency_mode: 'unknown' }))
  }
  service.on('meeting-created', onCreated)
  detach.push(() => service.off('meeting-created', onCreated))
  const onRefused = (event: { origin: string; reason: string }) => {
    if (event.origin === service.nodeId) metrics.refusals.inc({ reason: event.reason })
  }
  service.on('refused', onRefused)
  detach.push(() => service.off('refused', onRefused))

  const connections = [['command', state.health], ['subscriber', state.subscriberHealth]] as const
  const stateUp = new Gauge({
    name: 'sovereign_cp_state_up', help: '1 when the region state connection is connected', labelNames: ['connection'], registers: [registry],
    collect() {
      for (const [connection, health] of connections) this.set({ connection }, health.state === 'connected' ? 1 : 0)
    },
  })
  const stateHealth = new Gauge({
    name: 'sovereign_cp_state_health', help: 'region state connection state (1 for the current one)', labelNames: ['connection', 'state'], registers: [registry],
    collect() {
      for (const [connection, health] of connections) {
        for (const s of HEALTH_STATES) this.set({ connection, state: s }, health.state === s ? 1 : 0)
      }
    },
  })
  detach.push(() => {
    registry.removeSingleMetric('sovereign_cp_state_health')
    registry.removeSingleMetric('sovereign_cp_state_up')
  })
  return () => detach.forEach((d) => d())
}

const metricsPlugin: FastifyPluginAsync = async (app) => {
  const { metrics, registry, meetings, state } = app.sovereign
  const detach = observe(metrics, meetings, state, registry)
  app.addHook('onClose', async () => detach())

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched'
    metrics.requests.inc({ route, method: request.method, status: String(reply.statusCode) })
    metrics.requestSeconds.observe({ route, method: request.method }, reply.elapsedTime / 1000)
  })

  app.get('/metrics', { schema: { hide: true }, config: { auth: 'none' } }, async (_request, reply) => {
    const body = await registry.metrics()
    return reply.type(registry.contentType).send(body)
  })
}

export default fp(metricsPlugin, { name: 'sovereign-metrics' })
