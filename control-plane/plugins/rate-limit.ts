/**
 * The HTTP API rate limit (@fastify/rate-limit): a request carrying a valid API key
 * counts against that key, every other request against its client address (IPv6 by
 * /64, as one subscriber usually holds a whole /64). Over the budget the answer is 429
 * `SR_RATE_LIMITED` with Retry-After, and `sovereign_cp_rate_limited_total` counts it.
 *
 * Budgets are `regions[].controlPlane.limits.http` (fixed windows), read per request so
 * a SIGHUP reload applies at once; buildApp options may override them. The counters
 * live in the region's Redis (key namespace from state/keys.ts), so every node of the
 * region shares one budget per key and address; with the in-process state backend they
 * are per node (an LRU of 5,000 keys). If Redis fails the request is not refused for
 * it (the route itself then fails closed on its own state).
 *
 * It runs as an onRequest hook after the home-region redirect and before auth, so a
 * flood of wrong keys is limited by address; the key is looked up once per request
 * (auth.ts principalOf) for both. Liveness and
 * readiness are exempt (probes must always get through; Prometheus scrapes the node's
 * metrics listener, and /metrics here needs an operator key, so it is limited), and so
 * is the signaling upgrade, which has its own per-address join limit (plugins/signaling.ts).
 */
import rateLimit, { normalizeIP } from '@fastify/rate-limit'
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { Counter, type Registry } from 'prom-client'

import type { ControlPlaneLimits } from '../../config/network-config.js'
import { sovereignError } from '../errors.js'
import { SIGNAL_PATH } from '../protocol/version.js'
import { observedAddress, trustedProxies } from '../signaling/remote-address.js'
import { principalOf } from './auth.js'

type Window = ControlPlaneLimits['http']['perApiKey']

export interface RateLimitOptions {
  /** false: no HTTP rate limit at all (a benchmark's bare path); default true. */
  readonly enabled?: boolean
  /** Override the config's budget per API key. */
  readonly perApiKey?: Window
  /** Override the config's budget per client address. */
  readonly perAddress?: Window
}

/** What `sovereign_cp_rate_limited_total` counts, by where the limit sits. */
export const RATE_LIMIT_SCOPES = ['http_api_key', 'http_address', 'signal_join', 'signal_message'] as const
export type RateLimitScope = (typeof RATE_LIMIT_SCOPES)[number]

const METRIC = 'sovereign_cp_rate_limited_total'

/** The refusals counter of an app's registry (created once, shared by the HTTP and signaling limits). */
export function rateLimitedCounter(registry: Registry): Counter<'scope'> {
  const existing = registry.getSingleMetric(METRIC)
  if (existing) return existing as Counter<'scope'>
  const counter = new Counter({ name: METRIC, help: 'requests, signaling sockets and messages refused by a rate limit, by scope', labelNames: ['scope'], registers: [registry] })
  for (const scope of RATE_LIMIT_SCOPES) counter.inc({ scope }, 0)
  return counter
}

const EXEMPT = new Set(['/healthz', '/readyz', SIGNAL_PATH])
const DEFAULT_WINDOW: Window = { max: 600, windowSeconds: 60 }

const rateLimitPlugin: FastifyPluginAsync<RateLimitOptions> = async (app, options) => {
  if (options.enabled === false) return
  const ctx = app.sovereign
  const refused = rateLimitedCounter(ctx.registry)
  const http = () => ctx.config().regionById(ctx.region)?.controlPlane.limits.http
  const perApiKey = (): Window => options.perApiKey ?? http()?.perApiKey ?? DEFAULT_WINDOW
  const perAddress = (): Window => options.perAddress ?? http()?.perAddress ?? DEFAULT_WINDOW
  const isKey = (key: string) => key.startsWith('k:')

  const keyOf = (request: FastifyRequest): string => {
    const principal = principalOf(request, ctx.config())
    if (principal) return principal.kind === 'tenant' ? `k:${principal.tenant.id}:${principal.keyId}` : `k:admin:${principal.keyId}`
    const cidrs = ctx.config().regionById(ctx.region)?.controlPlane.trustedProxies ?? []
    return `a:${normalizeIP(observedAddress(request.socket.remoteAddress, request.headers['x-forwarded-for'], trustedProxies(cidrs)), 64)}`
  }

  const redis = ctx.state.kind === 'redis' ? ctx.state.connection?.command : undefined
  await app.register(rateLimit, {
    global: false,
    ...(redis === undefined ? {} : { redis, nameSpace: ctx.state.keys.rateLimit() }),
    skipOnError: true,
    keyGenerator: keyOf,
    max: (_request, key) => (isKey(key) ? perApiKey() : perAddress()).max,
    timeWindow: (_request, key) => (isKey(key) ? perApiKey() : perAddress()).windowSeconds * 1000,
  })
  const check = app.createRateLimit()

  app.addHook('onRequest', async (request, reply) => {
    if (EXEMPT.has(request.routeOptions.url ?? '')) return
    const result = await check(request)
    if (result.isAllowed) return
    reply.header('x-ratelimit-limit', result.max).header('x-ratelimit-remaining', result.remaining).header('x-ratelimit-reset', result.ttlInSeconds)
    if (!result.isExceeded) return
    refused.inc({ scope: isKey(result.key) ? 'http_api_key' : 'http_address' })
    reply.header('retry-after', result.ttlInSeconds)
    throw sovereignError('SR_RATE_LIMITED', `retry in ${result.ttlInSeconds} s`)
  })
}

export default fp(rateLimitPlugin, { name: 'sovereign-rate-limit', dependencies: ['sovereign-error-boundary'] })
