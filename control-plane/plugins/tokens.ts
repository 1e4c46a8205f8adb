/**
 * POST /v1/meetings/:id/tokens: the tenant backend's way to mint a participant token
 * (control-plane/tokens, HS256 under the tenant's token secret) without holding jose
 * itself. The token names the meeting, identity, role and capabilities; short expiry.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import fp from 'fastify-plugin'

import { tenantOf } from './auth.js'
import { MeetingParams, MintTokenBody, MintedTokenView, meetingErrors } from './http-schemas.js'

const tokensPlugin: FastifyPluginAsyncTypebox = async (app) => {
  app.post('/v1/meetings/:meetingId/tokens', {
    config: { auth: 'tenant' },
    schema: { tags: ['tokens'], summary: 'mint a participant token', params: MeetingParams, body: MintTokenBody, response: { 201: MintedTokenView, ...meetingErrors } },
  }, async (request, reply) => {
    const minted = await app.sovereign.meetings.mintToken(request.params.meetingId, tenantOf(request), request.body)
    return reply.code(201).send({ ...minted, controlPlaneUrl: app.sovereign.home().controlPlane.url })
  })
}

export default fp(tokensPlugin, { name: 'sovereign-tokens', dependencies: ['sovereign-auth'] })
