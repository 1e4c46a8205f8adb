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
