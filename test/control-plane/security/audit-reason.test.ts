import t from 'tap'

import { deny, REASONS } from '../../../geo/verdict.js'
import { ERROR_CODE_NAMES } from '../../../control-plane/protocol/error-codes.js'
import { auditReasonOf } from '../../../control-plane/security/audit-reason.js'

t.test('every error code maps to a known verdict reason', async (t) => {
  for (const code of ERROR_CODE_NAMES) t.ok((REASONS as readonly string[]).includes(auditReasonOf(code)), code)
})

t.test('admission refusals keep their own reason in the audit stream', async (t) => {
  t.equal(auditReasonOf('SR_PASSCODE_WRONG'), 'passcode_wrong')
  t.equal(auditReasonOf('SR_MEETING_LOCKED'), 'meeting_locked')
  t.equal(auditReasonOf('SR_TOKEN_EXPIRED'), 'token_invalid')
  t.equal(auditReasonOf('SR_SCREEN_SHARE_NOT_ALLOWED'), 'screen_share_not_allowed')
})

t.test('a geo verdict behind a refusal gives the more precise reason', async (t) => {
  t.equal(auditReasonOf('SR_COUNTRY_FORBIDDEN', deny('country_not_in_allow_list', 'BR')), 'country_not_in_allow_list')
  t.equal(auditReasonOf('SR_COUNTRY_FORBIDDEN'), 'country_blocked')
})
