/**
 * Prometheus metrics of this control-plane node, in a registry of its own (several apps
 * in one process never collide): served without a key on the node's metrics listener
 * (`controlPlane.metricsListen`, node.ts), and at GET /metrics of the API only with an
 * operator key. Names start with `sovereign_cp_`;
 * labels are bounded: route patterns (never raw URLs), status codes, reason codes from
 * geo/verdict.ts, region ids from the config, event types. No meeting or participant id
 * ever becomes a label.
 *
 * Meeting counters subscribe to the meeting service's events (only those this node
 * caused, so a region's nodes summed count each event once); nothing on a hot path
 * calls into prom-client beyond one inc per request.
 *
 * Fleet gauges are read from the fleet registries at scrape time (one script call per
 * region); the region they describe is the `fleet_region` label, because `region` is the
 * scrape target's own label. Every node of a region reports the same fleet: aggregate
 * them with max, not sum. Relay selection is timed by control-plane/services/
 * relay-selection.ts and heard here on its diagnostics channel.
 */
import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'

import { registerBuildInfo } from '../../platform/build-info.js'
import { fleetReadChannel, type FleetReadTiming, type LiveRelay } from '../../state/fleet.js'

import type { HealthState } from '../../state/health.js'
import type { RegionState } from '../../state/region-state.js'
import { MEETING_EVENT_TYPES } from '../services/meeting-events.js'
import type { MeetingService } from '../services/meeting-service.js'
import { relaySelectionChannel, type RelaySelectionTiming } from '../services/relay-selection.js'

export interface ControlPlaneMetrics {
  readonly requests: Counter<'route' | 'method' | 'status'>
  readonly requestSeconds: Histogram<'route' | 'method'>
  readonly meetingsCreated: Counter<'residency_mode'>
  readonly refusals: Counter<'reason'>
  readonly redirects: Counter<'to_region' | 'kind'>
  readonly meetingEvents: Counter<'type'>
  /** Operator drain requests taken by the admin API (`action`: drain, undrain). */
  readonly drainRequests: Counter<'action'>
  /** Ranking the live relays of a meeting's allowed set for one participant. */
  readonly relaySelectionSeconds: Histogram<'outcome'>
  /** Reading a region's live fleet (the other half of relay selection). */
  readonly fleetReadSeconds: Histogram<'fleet_region' | 'outcome'>
}

const HEALTH_STATES: readonly HealthState[] = ['connecting', 'connected', 'reconnecting', 'down', 'closed']

export function createMetrics(registry: Registry, options: { defaultMetrics?: boolean } = {}): ControlPlaneMetrics {
  // Unprefixed: the standard Node.js dashboards query process_* and nodejs_* by name.
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry })
  registerBuildInfo(registry)
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
    drainRequests: new Counter({ name: 'sovereign_cp_relay_drain_requests_total', help: 'operator drain requests (drain) and cancellations (undrain) taken by this node', labelNames: ['action'], registers }),
    relaySelectionSeconds: new Histogram({
      name: 'sovereign_cp_relay_selection_duration_seconds', help: 'time to rank the live relays of a meeting\'s allowed regions for one participant (outcome: relays handed out or none)',
      labelNames: ['outcome'], registers, buckets: [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05],
    }),
    fleetReadSeconds: new Histogram({
      name: 'sovereign_cp_fleet_read_duration_seconds', help: 'time to read the live fleet of a region from its registry, by every caller in this process (admission, admin views, scrapes)',
      labelNames: ['fleet_region', 'outcome'], registers, buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    }),
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
  // Redis came back without its data (state/state-epoch.ts); the alert SovereignStateLost fires on it.
  const stateLost = new Counter({ name: 'sovereign_cp_state_lost_total', help: 'times the region state (Redis) came back without its data, as this node detected it', registers: [registry] })
  detach.push(state.onStateLost(() => stateLost.inc()))
  detach.push(() => {
    registry.removeSingleMetric('sovereign_cp_state_lost_total')
    registry.removeSingleMetric('sovereign_cp_state_health')
    registry.removeSingleMetric('sovereign_cp_state_up')
  })
  return () => detach.forEach((d) => d())
}

/**
 * Times the relay selections of meetings homed in `region` (one process may hold apps of
 * several regions), and the fleet reads of this process (which feed them).
 */
export function observeRelaySelection(metrics: ControlPlaneMetrics, region: string): () => void {
  const onSelection = (message: unknown): void => {
    const m = message as RelaySelectionTiming
    if (m.homeRegion === region) metrics.relaySelectionSeconds.observe({ outcome: m.relays > 0 ? 'relays' : 'none' }, m.seconds)
  }
  const onRead = (message: unknown): void => {
    const m = message as FleetReadTiming
    metrics.fleetReadSeconds.observe({ fleet_region: m.region, outcome: m.ok ? 'ok' : 'error' }, m.seconds)
  }
  subscribe(relaySelectionChannel.name, onSelection)
  subscribe(fleetReadChannel.name, onRead)
  return () => {
    unsubscribe(relaySelectionChannel.name, onSelection)
    unsubscribe(fleetReadChannel.name, onRead)
  }
}

const FLEET_GAUGES = ['sovereign_cp_fleet_relays', 'sovereign_cp_fleet_capacity', 'sovereign_cp_fleet_allocations', 'sovereign_cp_fleet_readable'] as const

/**
 * The fleet of every region of the config as this node reads it, at scrape time: relays
 * by state (`live`: in the live set and not draining; `draining`), the allocations the
 * non-draining relays take at most and hold now, and whether the registry could be read.
 */
export function observeFleet(registry: Registry, source: { regions: () => readonly string[]; liveRelays: (region: string) => Promise<readonly LiveRelay[]> }): () => void {
  const registers = [registry]
  let snapshot: Promise<Array<{ region: string; relays: readonly LiveRelay[] | undefined }>> | undefined
  // The four gauges are collected one after another on one scrape: read the fleets once.
  const read = () => (snapshot ??= Promise.all(source.regions().map(async (region) => ({
    region, relays: await source.liveRelays(region).then((r) => r, () => undefined),
  }))).finally(() => setImmediate(() => { snapshot = undefined })))
  new Gauge({
    name: 'sovereign_cp_fleet_relays', help: 'relays in the fleet registry of each region, by state (live: not draining; draining)', labelNames: ['fleet_region', 'state'], registers,
    async collect() {
      this.reset()
      for (const { region, relays } of await read()) {
        if (!relays) continue
        const draining = relays.filter((r) => r.draining).length
        this.set({ fleet_region: region, state: 'live' }, relays.length - draining)
        this.set({ fleet_region: region, state: 'draining' }, draining)
      }
    },
  })
  new Gauge({
    name: 'sovereign_cp_fleet_capacity', help: 'allocations the live, non-draining relays of each region accept at most', labelNames: ['fleet_region'], registers,
    async collect() {
      this.reset()
      for (const { region, relays } of await read()) {
        if (relays) this.set({ fleet_region: region }, relays.filter((r) => !r.draining).reduce((n, r) => n + r.capacity, 0))
      }
    },
  })
  new Gauge({
    name: 'sovereign_cp_fleet_allocations', help: 'allocations held by the live relays of each region (draining ones included), from their last heartbeats', labelNames: ['fleet_region'], registers,
    async collect() {
      this.reset()
      for (const { region, relays } of await read()) {
        if (relays) this.set({ fleet_region: region }, relays.reduce((n, r) => n + r.load.allocations, 0))
      }
    },
  })
  new Gauge({
    name: 'sovereign_cp_fleet_readable', help: '1 when this node could read the fleet registry of the region at the last scrape', labelNames: ['fleet_region'], registers,
    async collect() {
      this.reset()
      for (const { region, relays } of await read()) {
        this.set({ fleet_region: region }, relays ? 1 : 0)
      }
    },
  })
  return () => {
    for (const name of FLEET_GAUGES) registry.removeSingleMetric(name)
  }
}

const metricsPlugin: FastifyPluginAsync = async (app) => {
  const { metrics, registry, meetings, state } = app.sovereign
  const detach = observe(metrics, meetings, state, registry)
  const unselect = observeRelaySelection(metrics, app.sovereign.region)
  const unfleet = observeFleet(registry, { regions: () => app.sovereign.config().regions.map((r) => r.id), liveRelays: (r) => app.sovereign.liveRelays(r) })
  app.addHook('onClose', async () => {
    detach()
    unselect()
    unfleet()
  })

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched'
    metrics.requests.inc({ route, method: request.method, status: String(reply.statusCode) })
    metrics.requestSeconds.observe({ route, method: request.method }, reply.elapsedTime / 1000)
  })

  // On the public API port the scrape needs an operator key (it names relays, load and
  // refusal reasons); Prometheus scrapes the node's metrics listener instead (node.ts).
  app.get('/metrics', { schema: { hide: true }, config: { auth: 'admin' } }, async (_request, reply) => {
    const body = await registry.metrics()
    return reply.type(registry.contentType).send(body)
  })
}

export default fp(metricsPlugin, { name: 'sovereign-metrics' })
