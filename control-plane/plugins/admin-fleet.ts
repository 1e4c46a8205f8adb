/** GET /v1/admin/fleet: the live relays of every region of the network, for operators. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import fp from 'fastify-plugin'
import { Type } from '@sinclair/typebox'

import { ErrorBody } from './http-schemas.js'

const RelayView = Type.Object({
  id: Type.String(),
  udp: Type.Array(Type.String()),
  tcp: Type.Array(Type.String()),
  capacity: Type.Integer(),
  allocations: Type.Integer(),
  cpu: Type.Number(),
  draining: Type.Boolean(),
  version: Type.String(),
  expiresAt: Type.String({ format: 'date-time' }),
})
const RegionFleet = Type.Object({
  region: Type.String(),
  available: Type.Boolean({ description: 'false when the region state could not be read' }),
  error: Type.Optional(Type.String()),
  relays: Type.Array(RelayView),
})

const adminFleetPlugin: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/v1/admin/fleet', {
    config: { auth: 'admin' },
    schema: { tags: ['admin'], summary: 'live relays per region', response: { 200: Type.Object({ regions: Type.Array(RegionFleet) }), 401: ErrorBody, 403: ErrorBody } },
  }, async () => {
    const regions = await Promise.all(app.sovereign.config().regions.map(async (region) => {
      try {
        const relays = await app.sovereign.liveRelays(region.id)
        return {
          region: region.id,
          available: true,
          relays: relays.map((r) => ({
            id: r.id, udp: [...r.udp], tcp: [...r.tcp], capacity: r.capacity, allocations: r.load.allocations, cpu: r.load.cpu,
            draining: r.draining, version: r.version, expiresAt: new Date(r.expiresAt).toISOString(),
          })),
        }
      } catch (err) {
        return { region: region.id, available: false, error: err instanceof Error ? err.message : String(err), relays: [] }
      }
    }))
    return { regions }
  })
}

export default fp(adminFleetPlugin, { name: 'sovereign-admin-fleet', dependencies: ['sovereign-auth'] })
