/**
 * API keys: `Authorization: Bearer <key>` (or `x-api-key`). The config holds only the
 * SHA-256 of each key (config/api-key.ts); the presented key is hashed and looked up by
 * its hash, then compared in constant time. A missing or unknown key is 401, a tenant key
 * on an admin route (or the reverse) is 403. Runs as an onRequest hook, so an
 * unauthenticated body is never parsed.
 *
 * Ownership of a meeting is the meeting service's business: a tenant asking for another
 * tenant's meeting gets the same 404 as for a meeting that does not exist.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'

import { hashApiKey, sha256Equal } from '../../config/api-key.js'
import type { NetworkConfig, Tenant } from '../../config/network-config.js'
import { sovereignError } from '../errors.js'

export type Principal =
  | { readonly kind: 'tenant'; readonly tenant: Tenant; readonly keyId: string }
  | { readonly kind: 'admin'; readonly keyId: string }

/** The API key a request presents (Bearer or x-api-key), unverified. */
export function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  if (typeof header === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
    return match?.[1]
  }
  const alt = request.headers['x-api-key']
  return typeof alt === 'string' && alt.length > 0 ? alt : undefined
}

/** The owner of a presented key, or undefined. */
export function authenticate(key: string | undefined, config: NetworkConfig): Principal | undefined {
  if (key === undefined || key.length > 512) return undefined
  const hash = hashApiKey(key)
  const owner = config.apiKeyOwner(hash)
  if (!owner) return undefined
  // The Map lookup is by a SHA-256 of a 256-bit random key, so its timing says nothing
  // useful; the stored digest is still compared in constant time before it is trusted.
  const keys = owner.kind === 'tenant' ? owner.tenant.apiKeys : config.admin.apiKeys
  const stored = keys.find((k) => k.id === owner.keyId)?.sha256
  if (stored === undefined || !sha256Equal(hash, stored)) return undefined
  return owner.kind === 'tenant' ? { kind: 'tenant', tenant: owner.tenant, keyId: owner.keyId } : { kind: 'admin', keyId: owner.keyId }
}

const byRequest = new WeakMap<FastifyRequest, Principal | null>()

/**
 * The owner of the key a request presents, looked up once per request: the rate limit
 * (plugins/rate-limit.ts) asks before this plugin's hook does, and gets the same answer.
 */
export function principalOf(request: FastifyRequest, config: NetworkConfig): Principal | undefined {
  let principal = byRequest.get(request)
  if (principal === undefined) {
    principal = authenticate(presentedKey(request), config) ?? null
    byRequest.set(request, principal)
  }
  return principal ?? undefined
}

/** The tenant of an authenticated tenant request (routes with `config.auth: 'tenant'`). */
export function tenantOf(request: FastifyRequest): Tenant {
  const p = request.principal
  if (p?.kind !== 'tenant') throw sovereignError('SR_UNAUTHENTICATED')
  return p.tenant
}

const authPlugin: FastifyPluginAsync = async (app) => {
  app.decorateRequest('principal', null)
  app.addHook('onRequest', async (request) => {
    const needed = request.routeOptions.config.auth ?? 'none'
    if (needed === 'none') return
    const principal = principalOf(request, app.sovereign.config())
    if (!principal) throw sovereignError('SR_UNAUTHENTICATED')
    if (principal.kind !== needed) throw sovereignError('SR_FORBIDDEN', needed === 'admin' ? 'an operator key is required' : 'a tenant key is required')
    request.principal = principal
  })
}

export default fp(authPlugin, { name: 'sovereign-auth', dependencies: ['sovereign-error-boundary'] })
