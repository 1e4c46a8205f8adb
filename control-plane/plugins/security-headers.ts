/**
 * Headers every API answer carries, errors and 404s included. `X-Content-Type-Options:
 * nosniff` stops a browser from sniffing a JSON or text answer into HTML or script
 * (a reflected value in an error message must never run).
 */
import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'

const securityHeaders: FastifyPluginAsync = async (app) => {
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff')
    return payload
  })
}

export default fp(securityHeaders, { name: 'sovereign-security-headers' })
