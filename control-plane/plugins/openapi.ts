/**
 * OpenAPI 3 from the routes' TypeBox schemas (@fastify/swagger), browsable at /docs and
 * as JSON at /docs/json. Must be registered before the routes it documents.
 */
import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'

const openapiPlugin: FastifyPluginAsync = async (app) => {
  const home = app.sovereign.home()
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Sovereign Relay control plane',
        description: `The control plane of region ${home.id}. Meetings live in the region their id names; requests for another region's meeting are answered 307 to that region.`,
        version: '1',
      },
      servers: [{ url: home.controlPlane.url }],
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'tenant API key (sk_live_..., sk_test_...) or operator key (sk_admin_...)' },
        },
      },
      security: [{ apiKey: [] }],
      tags: [
        { name: 'meetings', description: 'tenant meeting API' },
        { name: 'participants', description: 'participants of a meeting' },
        { name: 'tokens', description: 'participant tokens' },
        { name: 'residency', description: 'residency reports and report keys' },
        { name: 'admin', description: 'operator endpoints' },
        { name: 'health', description: 'liveness and readiness' },
      ],
    },
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })
}

export default fp(openapiPlugin, { name: 'sovereign-openapi' })
