/**
 * The audit stream (state/audit.ts) records a verdict `reason` (geo/verdict.ts) for every
 * decision; the control plane decides with SR_* error codes. This table is the one mapping
 * between them, exhaustive by type: a new error code does not compile until it has a reason,
 * so the residency report never files a passcode failure under "country_allowed".
 */
import type { Reason, Verdict } from '../../geo/verdict.js'
import type { ErrorCode } from '../protocol/error-codes.js'

const REASON_OF: Record<ErrorCode, Reason> = {
  SR_INVALID_REQUEST: 'request_refused',
  SR_PROTOCOL_VIOLATION: 'protocol_violation',
  SR_UNSUPPORTED_PROTOCOL: 'protocol_violation',
  SR_MESSAGE_TOO_LARGE: 'protocol_violation',
  SR_JOIN_TIMEOUT: 'protocol_violation',
  SR_NOT_JOINED: 'protocol_violation',
  SR_ALREADY_JOINED: 'protocol_violation',
  SR_RATE_LIMITED: 'rate_limited',
  SR_INTERNAL: 'internal_error',
  SR_SLOW_CONSUMER: 'rate_limited',
  SR_SESSION_REPLACED: 'request_refused',
  SR_TOO_MANY_UNJOINED: 'rate_limited',
  SR_BAD_REQUEST: 'request_refused',
  SR_BODY_TOO_LARGE: 'request_refused',
  SR_UNSUPPORTED_MEDIA_TYPE: 'request_refused',
  SR_PATH_FORBIDDEN: 'request_refused',
  SR_STATE_UNAVAILABLE: 'policy_unavailable',
  SR_UNAUTHENTICATED: 'request_refused',
  SR_FORBIDDEN: 'request_refused',
  SR_REGION_NOT_ALLOWED: 'region_not_allowed_for_tenant',
  SR_REGION_UNKNOWN: 'region_unknown',
  SR_MEETING_NOT_FOUND: 'meeting_unknown',
  SR_REDIRECT_HOME_REGION: 'meeting_not_homed_here',
  SR_MEETING_STATE_CONFLICT: 'request_refused',
  SR_REPORT_KEY_MISSING: 'internal_error',
  SR_KEY_UNAVAILABLE: 'key_unavailable',
  SR_KEY_MODE_UNAVAILABLE: 'key_unavailable',
  SR_RELAY_NOT_FOUND: 'request_refused',
  SR_PASSCODE_TOO_WEAK: 'request_refused',
  SR_STATE_LOST: 'meeting_unknown',
  SR_PRESENCE_LOST: 'policy_unavailable',
  SR_NO_RELAY_AVAILABLE: 'no_capacity_in_allowed_regions',
  SR_TOKEN_MISSING: 'token_invalid',
  SR_TOKEN_MALFORMED: 'token_invalid',
  SR_TOKEN_BAD_SIGNATURE: 'token_invalid',
  SR_TOKEN_EXPIRED: 'token_invalid',
  SR_TOKEN_NOT_YET_VALID: 'token_invalid',
  SR_TOKEN_WRONG_AUDIENCE: 'token_invalid',
  SR_TOKEN_UNKNOWN_TENANT: 'token_invalid',
  SR_TOKEN_CLAIMS_INVALID: 'token_invalid',
  SR_TOKEN_WRONG_MEETING: 'token_invalid',
  SR_TOKEN_TTL_INVALID: 'request_refused',
  SR_PASSCODE_REQUIRED: 'passcode_required',
  SR_PASSCODE_WRONG: 'passcode_wrong',
  SR_MEETING_ENDED: 'meeting_ended',
  SR_MEETING_LOCKED: 'meeting_locked',
  SR_REMOVED_CANNOT_REJOIN: 'removed_cannot_rejoin',
  SR_MEETING_FULL: 'meeting_full',
  SR_COUNTRY_FORBIDDEN: 'country_blocked',
  SR_DENIED_BY_HOST: 'denied_by_host',
  SR_REMOVED: 'participant_revoked',
  SR_PUBLIC_KEY_REQUIRED: 'public_key_required',
  SR_PASSCODE_ATTEMPTS: 'rate_limited',
  SR_NOT_HOST: 'not_host',
  SR_HOST_ONLY: 'not_host',
  SR_CANNOT_ACT_ON_HOST: 'not_host',
  SR_SCREEN_SHARE_NOT_ALLOWED: 'screen_share_not_allowed',
  SR_FILE_TRANSFER_NOT_ALLOWED: 'file_transfer_not_allowed',
  SR_RECORDING_NOT_ALLOWED: 'recording_not_allowed',
  SR_RECORDING_OFF: 'recording_not_allowed',
  SR_UNKNOWN_PARTICIPANT: 'target_not_admitted',
  SR_NOT_WAITING: 'target_not_admitted',
  SR_TARGET_IS_SELF: 'target_not_admitted',
}

/**
 * The audit reason of a refusal. When a geo verdict caused it (attendee country), the
 * verdict's own reason is more precise (country_blocked / country_not_in_allow_list /
 * country_unknown) and wins.
 */
export function auditReasonOf(code: ErrorCode, verdict?: Verdict): Reason {
  return verdict !== undefined && !verdict.allow ? verdict.reason : REASON_OF[code]
}
