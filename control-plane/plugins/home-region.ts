/**
 * Guarantee 3 at the HTTP edge: a request naming a meeting homed in another region is
 * answered 307 to that region's control plane, same path and query, before anything
 * else happens: no auth lookup, no body parsing (onRequest runs before the body is
 * read), no state access, no log line with the body or the meeting id. The redirect is
 * counted in metrics (by target region) and logged as a fact; it is NOT audited here,
 * because that would store something of the meeting outside its home region
 * (guarantee 4). Never proxied.
 *
 * `redirectLocation` is also used by the meetings plugin for POST /v1/meetings asking
 * for another region.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'

import type { Region } from '../../config/network-config.js'
import { ERROR_CODES } from '../protocol/error-codes.js'
import { routeMeeting } from '../../state/meeting-route.js'

/** `/v1/meetings/<id>...` → the id as written in the URL (before any decoding). */
const MEETING_PATH = /^\/v1\/meetings\/([^/?#]+)/

export function meetingIdInUrl(rawUrl: string): string | undefined {
  const match = MEETING_PATH.exec(rawUrl)
  if (!match) return undefined
  try {
    return decodeURIComponent(match[1]!)
  } catch {
    return undefined
  }
}

/** The home region's control-plane URL with the same path and query. */
export function redirectLocation(region: Region, rawUrl: string): string {
  return `${region.controlPlane.url.replace(/\/+$/, '')}${rawUrl.startsWith('/') ? rawUrl : `/${rawUrl}`}`
}

export function sendRedirect(request: FastifyRequest, reply: FastifyReply, region: Region, kind: 'meeting' | 'create' | 'report-key'): FastifyReply {
  const location = redirectLocation(region, request.raw.url ?? '/')
  request.server.sovereign.metrics.redirects.inc({ to_region: region.id, kind })
  request.log.info({ toRegion: region.id, kind }, 'redirected to the home region')
  // Keep the connection usable without reading a body we will never look at.
  return reply.code(307).header('location', location).header('cache-control', 'no-store').send({
    code: 'SR_REDIRECT_HOME_REGION',
    message: ERROR_CODES.SR_REDIRECT_HOME_REGION.message,
    region: region.id,
    location,
  })
}

const homeRegionPlugin: FastifyPluginAsync = async (app) => {
  const { region } = app.sovereign
  app.addHook('onRequest', async (request, reply) => {
    const id = meetingIdInUrl(request.raw.url ?? '')
    if (id === undefined) return
    const config = app.sovereign.config()
    const where = routeMeeting(id, { region, knowsRegion: (r) => config.regionById(r) !== undefined })
    // Not an id: the route's own handling answers (the service says not found).
    if (where.route === 'home' || where.route === 'malformed') return
    // A well-formed id naming a region this network does not have: no such meeting.
    if (where.route === 'unknown-region') return reply.code(404).send({ code: 'SR_MEETING_NOT_FOUND', message: ERROR_CODES.SR_MEETING_NOT_FOUND.message })
    return sendRedirect(request, reply, config.regionById(where.region)!, 'meeting')
  })
}

export default fp(homeRegionPlugin, { name: 'sovereign-home-region', dependencies: ['sovereign-metrics'] })
