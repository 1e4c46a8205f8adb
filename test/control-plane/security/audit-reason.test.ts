import t from 'tap'

import { deny, REASONS } from '../../../geo/verdict.js'
import { ERROR_CODE_NAMES } from '../../../control-plane/protocol/error-codes.js'
import { ADMISSION_REASONS, AUDIT_REASONS } from '../../../control-plane/security/admission-reasons.js'
import { auditReasonOf } from '../../../control-plane/security/audit-reason.js'

t.test('every error code maps to a known residency or admission reason', async (t) => {
  for (const code of ERROR_CODE_NAMES) t.ok(AUDIT_REASONS.includes(auditReasonOf(code)), code)
})

t.test('geo knows only residency reasons; the control plane\'s admission reasons are its own', async (t) => {
  const residency: readonly string[] = REASONS
  t.same(ADMISSION_REASONS.filter((r) => residency.includes(r)), [], 'no admission reason is listed in geo/verdict.ts')
  t.notOk(residency.includes('passcode_wrong'))
  t.notOk(residency.includes('screen_share_not_allowed'))
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
