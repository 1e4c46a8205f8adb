/** Participants of a meeting: list, and remove (revoked on every relay; banned unless the meeting allows rejoining). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import fp from 'fastify-plugin'
import { Type } from '@sinclair/typebox'

import { tenantOf } from './auth.js'
import { MeetingParams, ParticipantParams, ParticipantView, RemovedView, meetingErrors } from './http-schemas.js'
import { participantView } from './meeting-view.js'

const participantsPlugin: FastifyPluginAsyncTypebox = async (app) => {
  const { meetings } = app.sovereign

  app.get('/v1/meetings/:meetingId/participants', {
    config: { auth: 'tenant' },
    schema: { tags: ['participants'], summary: 'participants (waiting, admitted, left, removed)', params: MeetingParams, response: { 200: Type.Object({ participants: Type.Array(ParticipantView) }), ...meetingErrors } },
  }, async (request) => ({ participants: (await meetings.participants(request.params.meetingId, tenantOf(request).id)).map(participantView) }))

  app.delete('/v1/meetings/:meetingId/participants/:participantId', {
    config: { auth: 'tenant' },
    schema: { tags: ['participants'], summary: 'remove a participant: revoked on every relay of the region, banned unless rejoining is allowed', params: ParticipantParams, response: { 200: RemovedView, ...meetingErrors } },
  }, async (request) => {
    const { meetingId, participantId } = request.params
    const removed = await meetings.remove(meetingId, participantId, { kind: 'tenant', tenantId: tenantOf(request).id })
    return { participant: participantView(removed.participant), banned: removed.banned, revoked: true }
  })
}

export default fp(participantsPlugin, { name: 'sovereign-participants', dependencies: ['sovereign-auth'] })
