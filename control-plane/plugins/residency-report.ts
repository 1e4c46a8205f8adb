/**
 * GET /v1/meetings/:id/residency-report: the meeting's audit stream, read in full from
 * its home region, built into a report by control-plane/report and signed with the
 * region's Ed25519 report key. GET /v1/regions/:id/report-key publishes the public key
 * an auditor verifies it with (`sovereign report verify`), offline.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import fp from 'fastify-plugin'
import { Type } from '@sinclair/typebox'

import type { AuditEvent } from '../../state/audit.js'
import { sovereignError } from '../errors.js'
import { buildResidencyReport } from '../report/residency-report.js'
import { tenantOf } from './auth.js'
import { sendRedirect } from './home-region.js'
import { ErrorBody, MeetingParams, RedirectBody, meetingErrors } from './http-schemas.js'

const PAGE = 1000

const ReportKey = Type.Object({
  region: Type.String(),
  alg: Type.Literal('Ed25519'),
  keyId: Type.String({ description: 'hex SHA-256 of the raw public key' }),
  publicKeyPem: Type.String(),
  ephemeral: Type.Boolean({ description: 'true: no key in the config; this one changes when the node restarts' }),
})

const residencyReportPlugin: FastifyPluginAsyncTypebox = async (app) => {
  const { meetings, state, reports } = app.sovereign

  app.get('/v1/meetings/:meetingId/residency-report', {
    config: { auth: 'tenant' },
    schema: {
      tags: ['residency'],
      summary: 'signed residency report of a meeting',
      description: 'Which regions, relays and control-plane nodes handled media, signaling and keys; admitted participants\' countries; every refusal and why. Signed with Ed25519 over RFC 8785 canonical JSON.',
      params: MeetingParams,
      response: { 200: Type.Object({ report: Type.Unknown(), signature: Type.Unknown() }, { additionalProperties: true }), ...meetingErrors },
    },
  }, async (request) => {
    const meeting = await meetings.get(request.params.meetingId, tenantOf(request).id)
    const entries: AuditEvent[] = []
    for (let after: string | undefined; ;) {
      const page = await state.audit.read(meeting.id, { count: PAGE, ...(after === undefined ? {} : { after }) })
      entries.push(...page)
      if (page.length < PAGE) break
      after = page[page.length - 1]!.id
    }
    const relayRegions: Record<string, string> = {}
    for (const region of app.sovereign.config().regions) for (const relay of region.relays) relayRegions[relay.id] = region.id
    const report = buildResidencyReport({
      meeting: {
        id: meeting.id, tenantId: meeting.tenantId, homeRegion: meeting.homeRegion, residencyMode: meeting.residencyMode,
        keyMode: meeting.settings.keyMode, allowedRegions: meeting.allowedRegions, createdAt: meeting.createdAt,
        ...(meeting.endedAt === undefined ? {} : { endedAt: meeting.endedAt }),
      },
      entries,
      generatedAt: app.sovereign.now(),
      generatedBy: { region: app.sovereign.region, node: app.sovereign.nodeId },
      relayRegions,
    })
    return reports.sign(report)
  })

  app.get('/v1/regions/:regionId/report-key', {
    config: { auth: 'none' },
    schema: {
      tags: ['residency'], summary: 'public key that verifies a region\'s residency reports',
      params: Type.Object({ regionId: Type.String({ maxLength: 64 }) }),
      response: { 200: ReportKey, 307: RedirectBody, 422: ErrorBody },
    },
  }, async (request, reply) => {
    const { regionId } = request.params
    const region = app.sovereign.config().regionById(regionId)
    if (!region) throw sovereignError('SR_REGION_UNKNOWN', regionId)
    const key = reports.keyOf(regionId)
    // Another region's ephemeral key lives only in that region's process: ask it.
    if (!key) return sendRedirect(request, reply, region, 'report-key')
    return { region: key.region, alg: 'Ed25519' as const, keyId: key.keyId, publicKeyPem: key.publicKeyPem, ephemeral: key.ephemeral }
  })
}

export default fp(residencyReportPlugin, { name: 'sovereign-residency-report', dependencies: ['sovereign-auth'] })
