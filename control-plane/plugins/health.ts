/**
 * Liveness and readiness. /healthz answers while the process serves HTTP. /readyz says
 * whether this node can serve its region: the region state answers a round trip (a
 * meeting cannot be created, joined or audited without it), so a load balancer takes
 * the node out while Redis is unreachable instead of letting it fail closed per request.
 */
import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import { Type } from '@sinclair/typebox'

const Health = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]),
  region: Type.String(),
  node: Type.String(),
  state: Type.Optional(Type.Object({ kind: Type.String(), command: Type.String(), subscriber: Type.String(), error: Type.Optional(Type.String()) })),
})

const healthPlugin: FastifyPluginAsync = async (app) => {
  const { region, nodeId, state } = app.sovereign

  app.get('/healthz', { schema: { tags: ['health'], summary: 'liveness', response: { 200: Health } }, config: { auth: 'none' } }, async () => ({ status: 'ok' as const, region, node: nodeId }))

  app.get('/readyz', { schema: { tags: ['health'], summary: 'readiness: the region state answers', response: { 200: Health, 503: Health } }, config: { auth: 'none' } }, async (_request, reply) => {
    const snapshot = { kind: state.kind, command: state.health.state, subscriber: state.subscriberHealth.state }
    try {
      // A real round trip: a fleet read touches the region's Redis (memory: in-process).
      await state.fleet.liveRelays()
    } catch (err) {
      return reply.code(503).send({ status: 'unavailable', region, node: nodeId, state: { ...snapshot, error: err instanceof Error ? err.message : String(err) } })
    }
    const ready = state.health.state === 'connected'
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ok' : 'unavailable', region, node: nodeId, state: snapshot })
  })
}

export default fp(healthPlugin, { name: 'sovereign-health' })
