/**
 * The relay fleet for operators (admin key):
 *
 *   GET    /v1/admin/fleet                                       live relays of every region
 *   POST   /v1/admin/regions/:region/relays/:relayId/drain       drain a relay of this region
 *   DELETE /v1/admin/regions/:region/relays/:relayId/drain       cancel that drain request
 *
 * A drain is a request stored in the region's fleet registry (state/fleet.ts): the relay
 * learns it on its next heartbeat (about a second), refuses new allocations with 508 and
 * keeps relaying the existing ones; relay selection skips it at once, and the request
 * survives the relay's restarts until it is cancelled. Each region's registry is written
 * only by its own control planes: a request naming another region is answered 307 to
 * that region's control plane, never proxied (as for meetings, guarantee 3).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { Type } from '@sinclair/typebox'

import type { DrainRequest } from '../../state/fleet.js'
import { sovereignError } from '../errors.js'
import { RegionId } from '../protocol/common.js'
import { ErrorBody, RedirectBody } from './http-schemas.js'
import { redirectLocation } from './home-region.js'

const DrainRequestView = Type.Object({
  requestedAt: Type.String({ format: 'date-time' }),
  by: Type.String({ description: 'who asked: admin:<key id>, or cli:<user>@<host> when drained with the CLI' }),
  reason: Type.Optional(Type.String()),
})

const RelayView = Type.Object({
  id: Type.String(),
  udp: Type.Array(Type.String()),
  tcp: Type.Array(Type.String()),
  /** TURN over TLS (`turns:`) endpoints, name:port; empty when the relay has no TLS listener. */
  tls: Type.Array(Type.String()),
  capacity: Type.Integer(),
  allocations: Type.Integer(),
  cpu: Type.Number(),
  draining: Type.Boolean(),
  drainRequest: Type.Optional(DrainRequestView),
  version: Type.String(),
  expiresAt: Type.String({ format: 'date-time' }),
})
const RegionFleet = Type.Object({
  region: Type.String(),
  available: Type.Boolean({ description: 'false when the region state could not be read' }),
  error: Type.Optional(Type.String()),
  relays: Type.Array(RelayView),
})

const DrainParams = Type.Object({
  region: RegionId,
  relayId: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' }),
})
const DrainBody = Type.Union([
  Type.Object({ reason: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'shown in the registry and the relay log' })) }, { additionalProperties: false }),
  Type.Null(),
])
const DrainState = Type.Object({
  region: Type.String(),
  relayId: Type.String(),
  live: Type.Boolean({ description: 'the relay is in the live set now (a relay that is down drains as it comes back)' }),
  draining: Type.Boolean({ description: 'a drain request is in force' }),
  drainRequest: Type.Optional(DrainRequestView),
  cancelled: Type.Optional(Type.Boolean({ description: 'DELETE: there was a request to cancel' })),
})

const view = (r: DrainRequest) => ({ requestedAt: new Date(r.requestedAt).toISOString(), by: r.by, ...(r.reason !== undefined ? { reason: r.reason } : {}) })

const adminFleetPlugin: FastifyPluginAsyncTypebox = async (app) => {
  const { sovereign } = app

  app.get('/v1/admin/fleet', {
    config: { auth: 'admin' },
    schema: { tags: ['admin'], summary: 'live relays per region', response: { 200: Type.Object({ regions: Type.Array(RegionFleet) }), 401: ErrorBody, 403: ErrorBody } },
  }, async () => {
    const regions = await Promise.all(sovereign.config().regions.map(async (region) => {
      try {
        const relays = await sovereign.liveRelays(region.id)
        return {
          region: region.id,
          available: true,
          relays: relays.map((r) => ({
            id: r.id, udp: [...r.udp], tcp: [...r.tcp], tls: [...(r.tls ?? [])], capacity: r.capacity, allocations: r.load.allocations, cpu: r.load.cpu,
            draining: r.draining, ...(r.drainRequest ? { drainRequest: view(r.drainRequest) } : {}),
            version: r.version, expiresAt: new Date(r.expiresAt).toISOString(),
          })),
        }
      } catch (err) {
        return { region: region.id, available: false, error: err instanceof Error ? err.message : String(err), relays: [] }
      }
    }))
    return { regions }
  })

  const responses = { 200: DrainState, 307: RedirectBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 422: ErrorBody }

  /** 307 for another region's relay; the relay's live entry when it is live, else whether it is known at all. */
  async function locate(request: FastifyRequest, reply: FastifyReply, params: { region: string; relayId: string }) {
    const config = sovereign.config()
    const region = config.regionById(params.region)
    if (!region) throw sovereignError('SR_REGION_UNKNOWN', params.region)
    if (region.id !== sovereign.region) {
      const location = redirectLocation(region, request.raw.url ?? '/')
      sovereign.metrics.redirects.inc({ to_region: region.id, kind: 'admin' })
      reply.code(307).header('location', location)
      return { redirect: { code: 'SR_REDIRECT_HOME_REGION' as const, message: `relay ${params.relayId} belongs to region ${region.id}; its control plane drains it`, region: region.id, location } }
    }
    const live = (await sovereign.state.fleet.liveRelays()).find((r) => r.id === params.relayId)
    const declared = region.relays.some((r) => r.id === params.relayId)
    return { live, declared }
  }

  app.post('/v1/admin/regions/:region/relays/:relayId/drain', {
    config: { auth: 'admin' },
    schema: {
      tags: ['admin'], summary: 'drain a relay: no new allocations, existing ones keep relaying; survives its restarts until cancelled',
      params: DrainParams, body: Type.Optional(DrainBody), response: responses,
    },
  }, async (request, reply) => {
    const found = await locate(request, reply, request.params)
    if ('redirect' in found) return found.redirect
    if (!found.live && !found.declared) throw sovereignError('SR_RELAY_NOT_FOUND', `${request.params.relayId} is neither live nor declared in region ${request.params.region}`)
    const by = request.principal?.kind === 'admin' ? `admin:${request.principal.keyId}` : 'admin'
    const reason = request.body?.reason
    const inForce = await sovereign.state.fleet.requestDrain(request.params.relayId, { requestedAt: sovereign.now(), by, ...(reason !== undefined ? { reason } : {}) })
    sovereign.metrics.drainRequests.inc({ action: 'drain' })
    request.log.info({ relayId: request.params.relayId, by: inForce.by }, 'relay drain requested')
    return { region: request.params.region, relayId: request.params.relayId, live: found.live !== undefined, draining: true, drainRequest: view(inForce) }
  })

  app.delete('/v1/admin/regions/:region/relays/:relayId/drain', {
    config: { auth: 'admin' },
    schema: { tags: ['admin'], summary: 'cancel a drain request: the relay takes new allocations again on its next heartbeat', params: DrainParams, response: responses },
  }, async (request, reply) => {
    const found = await locate(request, reply, request.params)
    if ('redirect' in found) return found.redirect
    const cancelled = await sovereign.state.fleet.cancelDrain(request.params.relayId)
    if (!cancelled && !found.live && !found.declared) throw sovereignError('SR_RELAY_NOT_FOUND', `${request.params.relayId} is neither live nor declared in region ${request.params.region}`)
    if (cancelled) sovereign.metrics.drainRequests.inc({ action: 'undrain' })
    request.log.info({ relayId: request.params.relayId, cancelled }, 'relay drain cancelled')
    return { region: request.params.region, relayId: request.params.relayId, live: found.live !== undefined, draining: false, cancelled }
  })
}

export default fp(adminFleetPlugin, { name: 'sovereign-admin-fleet', dependencies: ['sovereign-auth'] })
