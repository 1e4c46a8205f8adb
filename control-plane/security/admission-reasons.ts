/**
 * The reasons the control plane records for its own decisions (admission and in-meeting
 * rights), next to the residency reasons of geo/verdict.ts: geo does not know the control
 * plane's vocabulary. audit-reason.ts maps every SR_* code onto one of the two.
 */
import { REASONS, type Reason } from '../../geo/verdict.js'

export const ADMISSION_REASONS = [
  'admitted_by_host',
  'waiting_room',
  'host_not_present',
  'token_invalid',
  'passcode_required',
  'passcode_wrong',
  'meeting_locked',
  'meeting_full',
  'removed_cannot_rejoin',
  'denied_by_host',
  'not_host',
  'screen_share_not_allowed',
  'file_transfer_not_allowed',
  'recording_not_allowed',
  'target_not_admitted',
  'public_key_required',
  'key_unavailable',
  'rate_limited',
  'protocol_violation',
  'request_refused',
  'internal_error',
] as const

export type AdmissionReason = (typeof ADMISSION_REASONS)[number]

/** What a control plane writes to a meeting's audit stream: a residency or an admission reason. */
export type AuditReason = Reason | AdmissionReason

export const AUDIT_REASONS: readonly AuditReason[] = [...REASONS, ...ADMISSION_REASONS]
