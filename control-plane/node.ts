/**
 * One control-plane node process: load the config, open the region's state, build the
 * app, listen. Several nodes of one region share the region's Redis; each has its own id.
 *
 *   SIGHUP   reload the config (config/config-store.ts: a bad file is refused and the
 *            running config stays); geo overrides follow the new config.
 *   SIGTERM  graceful: stop accepting, finish in-flight requests, close state, exit 0.
 *
 * Redis that is down at start does not stop the node: it serves /healthz, answers 503
 * on /readyz and fails closed per request until the connection comes back.
 *
 * Prometheus scrapes a listener of its own (`controlPlane.metricsListen` or --metrics:
 * /metrics, /healthz, /readyz, as relays have it), kept off the public API port, where
 * /metrics answers only to an operator key.
 */
import { hostname } from 'node:os'
import { randomBytes } from 'node:crypto'

import { ConfigStore } from '../config/config-store.js'
import { parseHostPort } from '../config/host-port.js'
import type { NetworkConfig } from '../config/network-config.js'
import { openGeoLookup, type GeoLocator } from '../geo/lookup.js'
import { createLogger, type Logger, type LogLevel } from '../platform/logger.js'
import { StateRegistry } from '../state/state-registry.js'
import { startMetricsHttp, type MetricsHttp } from '../relay/metrics/http.js'
import { buildApp, type ControlPlaneApp } from './app.js'
import { ControlPlaneError } from './control-plane-error.js'
import { environmentKeks, regionKeks } from './keys/region-keks.js'

/** A node that cannot start: the CLI prints it as one line. */
export class ControlPlaneNodeError extends ControlPlaneError<'ERR_CP_REGION_UNKNOWN' | 'ERR_CP_LISTEN_MISSING' | 'ERR_CP_LISTEN_INVALID' | 'ERR_CP_METRICS_LISTEN_INVALID'> {}

export interface ControlPlaneNodeOptions {
  readonly configPath: string
  readonly region: string
  /** Unique per node of the region; default `<region>-<hostname>-<random>`. */
  readonly nodeId?: string
  /** host:port; default the region's `controlPlane.listen`. Port 0 picks a free port. */
  readonly listen?: string
  /** host:port of the metrics listener; default the region's `controlPlane.metricsListen`; null: none. Port 0 picks a free port. */
  readonly metricsListen?: string | null
  /** Where SIGHUP/SIGTERM come from (tests pass an emitter); default process. */
  readonly signals?: NodeJS.EventEmitter
  /** Logs through platform/logger.ts at this level (default info), a logger of it, or none (false). */
  readonly logger?: boolean | { level: LogLevel } | Logger
  /** Key prefix in the region's Redis (tests). */
  readonly prefix?: string
  /** How long the start waits for the region's Redis before serving anyway; default 5 s. */
  readonly connectWaitMs?: number
  /** Environment for `{env: NAME}` config references; default process.env. */
  readonly env?: NodeJS.ProcessEnv
}

export interface ControlPlaneNode {
  readonly app: ControlPlaneApp
  readonly nodeId: string
  /** http://host:port actually bound. */
  readonly url: string
  /** http://host:port of the metrics listener, when there is one. */
  readonly metricsUrl: string | undefined
  readonly config: () => NetworkConfig
  /** Resolves when the node hears the region's meeting events from its other nodes. */
  readonly subscribed: Promise<void>
  /** Resolves when the node has shut down (after SIGTERM or close()). */
  readonly closed: Promise<void>
  close(): Promise<void>
}

export async function startControlPlaneNode(options: ControlPlaneNodeOptions): Promise<ControlPlaneNode> {
  const store = await ConfigStore.open(options.configPath, options.env === undefined ? {} : { env: options.env })
  const first = store.current
  const region = first.regionById(options.region)
  if (!region) {
    store.close()
    throw new ControlPlaneNodeError('ERR_CP_REGION_UNKNOWN', `region ${options.region} is not in ${options.configPath} (regions: ${first.regions.map((r) => r.id).join(', ')})`)
  }
  const listenText = options.listen ?? region.controlPlane.listen
  if (listenText === undefined) {
    store.close()
    throw new ControlPlaneNodeError('ERR_CP_LISTEN_MISSING', `no --listen given and regions[${options.region}].controlPlane.listen is not set`)
  }
  const listen = parseHostPort(listenText, { allowNames: true, allowPortZero: true })
  if (!listen.ok) {
    store.close()
    throw new ControlPlaneNodeError('ERR_CP_LISTEN_INVALID', `--listen ${listenText}: ${listen.reason}`)
  }
  const metricsText = options.metricsListen === undefined ? region.controlPlane.metricsListen : options.metricsListen ?? undefined
  const metricsAt = metricsText === undefined ? undefined : parseHostPort(metricsText, { allowNames: true, allowPortZero: true })
  if (metricsAt !== undefined && !metricsAt.ok) {
    store.close()
    throw new ControlPlaneNodeError('ERR_CP_METRICS_LISTEN_INVALID', `--metrics ${metricsText}: ${metricsAt.reason}`)
  }
  const nodeId = options.nodeId ?? `${options.region}-${hostname().replace(/[^A-Za-z0-9-]/g, '').slice(0, 24) || 'node'}-${randomBytes(3).toString('hex')}`
  const logger = options.logger === false ? undefined
    : typeof options.logger === 'object' && 'child' in options.logger ? options.logger
    : createLogger({ name: 'control-plane', level: typeof options.logger === 'object' ? options.logger.level : 'info', base: { region: options.region, node: nodeId } })

  const geo: GeoLocator = await openGeoLookup({ ...(first.geo.database === undefined ? {} : { database: first.geo.database }), overrides: first.geo.overrides, watch: first.geo.watch })
  const registry = new StateRegistry({ regions: first.regions, ...(options.prefix === undefined ? {} : { prefix: options.prefix }) })
  const state = registry.region(options.region)
  // Give Redis a moment so a normal start serves with the bus already subscribed; a Redis
  // that is down does not block the start (see the file comment).
  if (state.kind === 'redis') await settleWithin(Promise.all([state.health.when('connected'), state.subscriberHealth.when('connected')]), options.connectWaitMs ?? 5000)
  // Other regions' state serves jurisdiction-mode relay choice and the admin fleet view
  // (relay data only). Open it now: a connection opened on first use would fail that first
  // read, because commands fail fast rather than queue.
  const others = first.regions.filter((r) => r.id !== options.region).map((r) => registry.region(r.id))
  await settleWithin(Promise.all(others.filter((o) => o.kind === 'redis').map((o) => o.health.when('connected'))), options.connectWaitMs ?? 5000)
  const config = () => store.current
  // Managed key mode: the region's mediaKeks from the running config (a reload may rotate
  // them); the deprecated SOVEREIGN_MEDIA_KEK only when the config lists none.
  const fromEnv = environmentKeks(options.env ?? process.env, options.region)
  const keks = () => {
    const region = store.current.regionById(options.region)
    const configured = region ? regionKeks(region) : []
    return configured.length > 0 ? configured : fromEnv
  }
  const app = await buildApp({
    region: options.region, nodeId, config, state, geo, keks,
    // Reading another region's fleet is operator data, not meeting data (guarantee 4 is about meetings).
    liveRelaysOf: (other) => registry.region(other).fleet.liveRelays(),
    ...(logger ? { loggerInstance: logger } : {}),
    listen: state.kind === 'memory' || state.subscriberHealth.state === 'connected',
  })
  const log = app.log
  if (fromEnv.length > 0 && region.mediaKeks.length === 0) log.warn('SOVEREIGN_MEDIA_KEK is deprecated: list the KEK under regions[].mediaKeks as {env: NAME} instead')
  if (keks().length === 0) log.info('no media KEK configured (regions[].mediaKeks): managed key mode is refused in this region')

  // Subscribe to the region bus once the subscriber connection is up (the node may start while Redis is down).
  const subscribed = state.kind === 'memory' || state.subscriberHealth.state === 'connected'
    ? Promise.resolve()
    : state.subscriberHealth.when('connected').then(() => app.sovereign.meetings.listen((err) => log.warn({ err }, 'meeting bus')))
  subscribed.catch((err: unknown) => log.error({ err }, 'meeting bus subscription failed'))

  store.on('change', ({ config: next }) => {
    if (!next.regionById(options.region)) {
      log.error({ region: options.region }, 'the reloaded config no longer has this node\'s region; requests will fail until it is restored or the node is stopped')
    }
    geo.setOverrides(next.geo.overrides)
    log.info({ source: next.source }, 'config reloaded')
  })
  store.on('rejected', (err) => log.error({ err: err.message }, 'config reload refused; the running config stays'))
  store.on('error', (err) => log.error({ err }, 'config reload failed'))
  const signals = options.signals ?? process
  store.watchSighup(signals as unknown as Parameters<ConfigStore['watchSighup']>[0])

  let bound: string
  let metricsHttp: MetricsHttp | undefined
  try {
    bound = await app.listen({ host: listen.value.host, port: listen.value.port })
    if (metricsAt?.ok) {
      metricsHttp = await startMetricsHttp({
        host: metricsAt.value.host, port: metricsAt.value.port, registry: app.sovereign.registry,
        ready: () => state.kind === 'memory' || state.health.state === 'connected',
      })
    }
  } catch (err) {
    // Nothing may outlive a failed start: the caller gets the error and no open handles
    // (store.close() also stops watching SIGHUP).
    store.close()
    await app.close().catch(() => {})
    await registry.close()
    geo.close({ closeDatabase: true })
    throw err
  }
  log.info({ region: options.region, node: nodeId, url: bound, metrics: metricsHttp?.url, state: state.kind }, 'control plane listening')

  let closing: Promise<void> | undefined
  let resolveClosed!: () => void
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve))
  const close = (): Promise<void> => {
    closing ??= (async () => {
      signals.off('SIGTERM', onTerm)
      store.close()
      try {
        await metricsHttp?.close()
        await app.close()
      } finally {
        await registry.close()
        geo.close({ closeDatabase: true })
        resolveClosed()
      }
    })()
    return closing
  }
  const onTerm = () => {
    log.info('SIGTERM: draining')
    close().catch((err: unknown) => log.error({ err }, 'shutdown failed'))
  }
  signals.on('SIGTERM', onTerm)

  return { app, nodeId, url: bound, metricsUrl: metricsHttp?.url, config, closed, subscribed, close }
}

async function settleWithin(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  await Promise.race([work, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))])
  clearTimeout(timer)
}
