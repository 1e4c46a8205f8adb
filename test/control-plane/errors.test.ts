import t from 'tap'

import { isSovereignError, sovereignError, toHttpError, toSignalError } from '../../control-plane/errors.js'

t.test('a catalogue error carries its stable code and HTTP status', async (t) => {
  const err = sovereignError('SR_REGION_NOT_ALLOWED', 'ap-south')
  t.ok(err instanceof Error)
  t.ok(isSovereignError(err))
  t.equal(err.code, 'SR_REGION_NOT_ALLOWED')
  t.equal(err.statusCode, 403)
  t.equal(err.message, 'region not allowed for this tenant: ap-south')
})

t.test('the HTTP boundary maps statuses and never leaks foreign error messages', async (t) => {
  t.same(toHttpError(sovereignError('SR_UNAUTHENTICATED')), { statusCode: 401, body: { code: 'SR_UNAUTHENTICATED', message: 'missing or unknown API key' } })
  t.equal(toHttpError(sovereignError('SR_MEETING_NOT_FOUND')).statusCode, 404)
  t.equal(toHttpError(sovereignError('SR_MEETING_STATE_CONFLICT')).statusCode, 409)
  t.same(toHttpError(sovereignError('SR_REDIRECT_HOME_REGION'), 'http://127.0.0.2/v1/meetings/x').location, 'http://127.0.0.2/v1/meetings/x')
  t.equal(toHttpError(sovereignError('SR_REDIRECT_HOME_REGION'), 'http://x').statusCode, 307)
  const leaked = toHttpError(new Error('password=hunter2'))
  t.same(leaked, { statusCode: 500, body: { code: 'SR_INTERNAL', message: 'internal error' } })
  const validation = Object.assign(new Error('body/region must be string'), { validation: [] })
  t.same(toHttpError(validation).statusCode, 422)
})

t.test('the signaling boundary says whether an error ends the session', async (t) => {
  t.same(toSignalError(sovereignError('SR_TOKEN_EXPIRED')), { code: 'SR_TOKEN_EXPIRED', message: 'participant token expired', close: 4001 })
  t.same(toSignalError(sovereignError('SR_SCREEN_SHARE_NOT_ALLOWED')), { code: 'SR_SCREEN_SHARE_NOT_ALLOWED', message: 'you may not share your screen' })
  t.same(toSignalError(new RangeError('boom')), { code: 'SR_INTERNAL', message: 'internal error', close: 4500 })
})

t.test('framework client errors become coded 4xx answers; other framework errors stay internal', async (t) => {
  const fst = (code: string, statusCode: number) => Object.assign(new Error(`fastify says ${code}`), { code, statusCode })
  t.same(toHttpError(fst('FST_ERR_CTP_INVALID_JSON_BODY', 400)).body.code, 'SR_BAD_REQUEST')
  t.same(toHttpError(fst('FST_ERR_CTP_BODY_TOO_LARGE', 413)), { statusCode: 413, body: { code: 'SR_BODY_TOO_LARGE', message: 'the request body exceeds the size limit' } })
  t.same(toHttpError(fst('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415)).statusCode, 415)
  t.same(toHttpError(fst('FST_STATIC_FORBIDDEN_PATH', 403)).body.code, 'SR_PATH_FORBIDDEN')
  t.same(toHttpError(fst('FST_ERR_SOMETHING_NEW', 409)).body.code, 'SR_BAD_REQUEST', 'an unknown framework 4xx is a bad request')
  t.same(toHttpError(fst('FST_ERR_CTP_INVALID_TYPE', 500)).body.code, 'SR_INTERNAL', 'a framework 500 is ours')
  t.same(toHttpError(Object.assign(new Error('x'), { code: 'ECONNRESET', statusCode: 400 })).body.code, 'SR_INTERNAL', 'only the framework\'s own codes are trusted')
})

t.test('state that cannot answer is 503 SR_STATE_UNAVAILABLE with a retry hint, close 4022 on a socket; a state bug stays internal', async (t) => {
  const { StateClosedError, StateError, StateUnavailableError } = await import('../../state/errors.js')
  const down = new StateUnavailableError('eu-central', new Error('connect ECONNREFUSED 127.0.0.1:6390'))
  t.same(toHttpError(down), { statusCode: 503, body: { code: 'SR_STATE_UNAVAILABLE', message: 'the region state is unavailable, retry shortly' }, retryAfterSeconds: 2 })
  t.same(toSignalError(down), { code: 'SR_STATE_UNAVAILABLE', message: 'the region state is unavailable, retry shortly', close: 4022 })
  t.equal(toHttpError(new StateClosedError('eu-central')).statusCode, 503, 'closed under us by shutdown: also retry (elsewhere)')
  t.equal(toHttpError(new StateError('ERR_STATE_COMMAND', 'WRONGTYPE')).statusCode, 500, 'a refused command is a bug, not an outage')
})
