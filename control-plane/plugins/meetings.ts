/**
 * The tenant's meeting API under /v1/meetings: create, read, update settings, lock,
 * unlock, end. Everything is a meeting-service call; this file is only HTTP.
 * Requests for another region's meeting never get here (home-region.ts answers 307);
 * a create asking for another region is redirected here, after auth and the tenant's
 * region check (a region the tenant may not use is 403 wherever it is asked). Managed key
 * mode in a region without a key-encryption key is 422 SR_KEY_MODE_UNAVAILABLE.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import fp from 'fastify-plugin'

import { tenantOf } from './auth.js'
import { sendRedirect } from './home-region.js'
import { CreateMeetingBody, ErrorBody, MeetingParams, MeetingView, RedirectBody, UpdateMeetingBody, meetingErrors } from './http-schemas.js'
import { meetingView } from './meeting-view.js'

const meetingsPlugin: FastifyPluginAsyncTypebox = async (app) => {
  const { meetings } = app.sovereign
  const tenantRoute = { auth: 'tenant' as const }
  const view = (m: Parameters<typeof meetingView>[0]) => meetingView(m, app.sovereign.home())

  app.post('/v1/meetings', {
    config: tenantRoute,
    schema: {
      tags: ['meetings'],
      summary: 'create a meeting pinned to a region',
      description: 'Region defaults to the tenant\'s default region. Asked of another region\'s control plane, the answer is 307 to the right one. A region the tenant may not use is 403.',
      body: CreateMeetingBody,
      response: { 201: MeetingView, 307: RedirectBody, 401: ErrorBody, 403: ErrorBody, 422: ErrorBody, 429: ErrorBody },
    },
  }, async (request, reply) => {
    const tenant = tenantOf(request)
    const home = meetings.homeRegionFor(tenant, request.body.region)
    if (home.id !== app.sovereign.region) return sendRedirect(request, reply, home, 'create')
    // Managed key mode needs this region's KEK: refuse now rather than fail every join later.
    app.sovereign.keys.assertKeyMode(request.body.keyMode ?? tenant.security.keyMode)
    const meeting = await meetings.create(tenant, request.body)
    return reply.code(201).header('location', `/v1/meetings/${meeting.id}`).send(view(meeting))
  })

  app.get('/v1/meetings/:meetingId', {
    config: tenantRoute,
    schema: { tags: ['meetings'], summary: 'a meeting', params: MeetingParams, response: { 200: MeetingView, ...meetingErrors } },
  }, async (request) => view(await meetings.get(request.params.meetingId, tenantOf(request).id)))

  app.patch('/v1/meetings/:meetingId', {
    config: tenantRoute,
    schema: { tags: ['meetings'], summary: 'change security settings or attendee policy', params: MeetingParams, body: UpdateMeetingBody, response: { 200: MeetingView, ...meetingErrors } },
  }, async (request) => {
    const tenantId = tenantOf(request).id
    app.sovereign.keys.assertKeyMode(request.body.keyMode)
    return view(await meetings.update(request.params.meetingId, { kind: 'tenant', tenantId }, request.body))
  })

  const action = (name: 'lock' | 'unlock' | 'end', summary: string) =>
    app.post(`/v1/meetings/:meetingId/${name}`, {
      config: tenantRoute,
      schema: { tags: ['meetings'], summary, params: MeetingParams, response: { 200: MeetingView, ...meetingErrors } },
    }, async (request) => view(await meetings[name](request.params.meetingId, { kind: 'tenant', tenantId: tenantOf(request).id })))

  action('lock', 'lock: nobody new may join (hosts still can)')
  action('unlock', 'unlock')
  action('end', 'end for everyone: every credential revoked on every relay, every socket closed')
}

export default fp(meetingsPlugin, { name: 'sovereign-meetings', dependencies: ['sovereign-auth', 'sovereign-home-region'] })
