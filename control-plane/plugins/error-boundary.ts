/**
 * The one HTTP boundary for errors: catalogue errors (control-plane/errors.ts) become
 * their status and `{ code, message }`, fastify's validation errors SR_INVALID_REQUEST,
 * anything else SR_INTERNAL without its message (it is logged here instead). Refused
 * residency decisions are counted by their verdict reason.
 */
import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'

import { toHttpError } from '../errors.js'
import { isResidencyRefusal } from '../services/meeting-service.js'

const errorBoundary: FastifyPluginAsync = async (app) => {
  app.setErrorHandler((err, request, reply) => {
    const http = toHttpError(err)
    // State unavailable is an outage the health checks and Redis metrics report; per request it is a warning.
    if (http.body.code === 'SR_STATE_UNAVAILABLE') request.log.warn({ code: http.body.code, err: (err as Error).message }, 'request refused: state unavailable')
    else if (http.statusCode >= 500) request.log.error({ err }, 'request failed')
    // A client's mistake is not the server's error: one line at info, with its code, no stack.
    else request.log.info({ code: http.body.code, status: http.statusCode }, 'request refused')
    if (isResidencyRefusal(err)) app.sovereign.metrics.refusals.inc({ reason: err.verdict.reason })
    const out = reply.code(http.statusCode)
    if (http.location !== undefined) out.header('location', http.location)
    if (http.retryAfterSeconds !== undefined) out.header('retry-after', String(http.retryAfterSeconds))
    return out.send(http.body)
  })
  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ code: 'SR_INVALID_REQUEST', message: 'no such route' }))
}

export default fp(errorBoundary, { name: 'sovereign-error-boundary' })
