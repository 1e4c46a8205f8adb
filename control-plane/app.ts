/**
 * The control-plane application of one region, built apart from the process that
 * listens (node.ts), so tests drive it with `app.inject()`.
 *
 *   const app = await buildApp({ region: 'eu-central', nodeId: 'cp-1', config: () => config, state })
 *
 * One fastify plugin per capability; hooks run in registration order, so the
 * home-region redirect (guarantee 3) answers before the rate limit or auth looks at a key
 * and before any body is parsed. Request logging never includes bodies or raw URLs (a raw URL may hold
 * another region's meeting id): one line per response with the route pattern.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Registry } from 'prom-client'

import type { LiveRelay } from '../state/fleet.js'
import adminFleet from './plugins/admin-fleet.js'
import auth from './plugins/auth.js'
import type { ControlPlaneContext } from './plugins/context.js'
import errorBoundary from './plugins/error-boundary.js'
import health from './plugins/health.js'
import homeRegion from './plugins/home-region.js'
import meetingsRoutes from './plugins/meetings.js'
import metricsPlugin, { createMetrics } from './plugins/metrics.js'
import openapi from './plugins/openapi.js'
import participants from './plugins/participants.js'
import { createReportSigner } from './plugins/report-signer.js'
import rateLimit, { type RateLimitOptions } from './plugins/rate-limit.js'
import securityHeaders from './plugins/security-headers.js'
import signaling, { type SignalingOptions } from './plugins/signaling.js'
import residencyReport from './plugins/residency-report.js'
import tokens from './plugins/tokens.js'
import dashboard, { type DashboardOptions } from './plugins/dashboard.js'
import exampleCall, { type ExampleCallOptions } from './plugins/example-call.js'
import { MediaKeyService } from './services/media-keys.js'
import { MeetingService, type MeetingServiceOptions } from './services/meeting-service.js'
import type { RegionKek } from './keys/at-rest.js'
import { regionKeks } from './keys/region-keks.js'
import { ControlPlaneError } from './control-plane-error.js'

/**
 * What the app shares with its meeting service (region, node, config getter, state — which
 * the app does not close: its opener does — geo, policy, clock), and what only the app takes.
 */
export interface AppOptions extends Pick<MeetingServiceOptions, 'region' | 'nodeId' | 'config' | 'state' | 'geo' | 'policy' | 'now'> {
  /** Live relays of another region (admin fleet view, jurisdiction-mode relay choice). */
  readonly liveRelaysOf?: (region: string) => Promise<readonly LiveRelay[]>
  /** An existing service (the signaling layer may share one); built from the above when absent. */
  readonly meetings?: MeetingService
  readonly registry?: Registry
  /**
   * Key-encryption keys for managed key mode, newest first; none: managed mode is refused.
   * Default: the region's `mediaKeks` from the running config.
   */
  readonly keks?: () => readonly RegionKek[]
  /** Signaling limits and trusted proxies overriding the region's config (tests, benchmarks). */
  readonly signaling?: SignalingOptions
  /** HTTP API rate limit overriding the region's config; `{ enabled: false }` turns it off. */
  readonly rateLimit?: RateLimitOptions
  /** Process default metrics (cpu, heap, ...) in the registry; default true. */
  readonly defaultMetrics?: boolean
  /** fastify logger option; default off. */
  readonly logger?: FastifyServerOptions['logger']
  /** A logger of platform/logger.ts (the processes' one factory); wins over `logger`. */
  readonly loggerInstance?: FastifyBaseLogger
  /** SRE dashboard refresh interval and socket auth timeout (tests). */
  readonly dashboard?: DashboardOptions
  /** Subscribe the service to the region's bus (events of the region's other nodes); default true. */
  readonly listen?: boolean
  /** The example call page's SDK bundle (tests); default the built `sovereign-relay/client/browser`. */
  readonly exampleCall?: ExampleCallOptions
}

export type ControlPlaneApp = FastifyInstance & { sovereign: ControlPlaneContext }

export async function buildApp(options: AppOptions): Promise<ControlPlaneApp> {
  const config = options.config
  const home = () => {
    const region = config().regionById(options.region)
    if (!region) throw new ControlPlaneError('ERR_CP_REGION_UNKNOWN', `region ${options.region} is not in the config`)
    return region
  }
  home()
  const now = options.now ?? Date.now
  const liveRelays = (region: string): Promise<readonly LiveRelay[]> =>
    region === options.region ? options.state.fleet.liveRelays() : options.liveRelaysOf?.(region) ?? Promise.resolve([])
  const meetings = options.meetings ?? new MeetingService({
    region: options.region, nodeId: options.nodeId, config, state: options.state, now, liveRelays,
    ...(options.geo ? { geo: options.geo } : {}),
    ...(options.policy ? { policy: options.policy } : {}),
  })
  const ownsService = options.meetings === undefined
  const registry = options.registry ?? new Registry()

  const app = Fastify({
    ...(options.loggerInstance ? { loggerInstance: options.loggerInstance } : { logger: options.logger ?? false }),
    // fastify's own request lines log raw URLs; ours (below) log the route pattern only.
    logController: new Fastify.LogController({ disableRequestLogging: true }),
    // Route ids are checked by the routes; keep fastify from rewriting paths.
    routerOptions: { ignoreTrailingSlash: false },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
  }).withTypeProvider<TypeBoxTypeProvider>()

  const context: ControlPlaneContext = {
    region: options.region,
    nodeId: options.nodeId,
    config,
    home,
    state: options.state,
    meetings,
    keys: new MediaKeyService({ region: options.region, nodeId: options.nodeId, state: options.state, keks: options.keks ?? (() => regionKeks(home())), now }),
    registry,
    metrics: createMetrics(registry, { defaultMetrics: options.defaultMetrics ?? true }),
    reports: createReportSigner(options.region, config, (message) => app.log.warn(message)),
    liveRelays,
    now,
  }
  app.decorate('sovereign', context)

  if (options.listen ?? true) await meetings.listen((err) => app.log.warn({ err }, 'meeting bus'))
  app.addHook('onClose', async () => {
    if (ownsService) await meetings.close()
  })
  app.addHook('onResponse', async (request, reply) => {
    request.log.info({ route: request.routeOptions.url ?? 'unmatched', method: request.method, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request')
  })

  await app.register(errorBoundary)
  await app.register(securityHeaders)
  await app.register(metricsPlugin)
  await app.register(homeRegion)
  await app.register(rateLimit, options.rateLimit ?? {})
  await app.register(auth)
  await app.register(openapi)
  await app.register(health)
  await app.register(meetingsRoutes)
  await app.register(participants)
  await app.register(tokens)
  await app.register(residencyReport)
  await app.register(adminFleet)
  await app.register(signaling, options.signaling ?? {})
  await app.register(dashboard, options.dashboard ?? {})
  await app.register(exampleCall, options.exampleCall ?? {})
  return app as unknown as ControlPlaneApp
}
