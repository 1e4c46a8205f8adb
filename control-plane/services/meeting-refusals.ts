/**
 * The errors the meeting service throws for refusals: a residency decision refused (the
 * catalogue error carrying the verdict, for metrics and audit), and a store's refusal of
 * a change (state/meetings.ts) mapped to its catalogue code.
 */
import type { Verdict } from '../../geo/verdict.js'
import type { MeetingRefusal } from '../../state/meetings.js'
import { sovereignError, type SovereignError } from '../errors.js'
import type { ErrorCode } from '../protocol/error-codes.js'

/** A refused residency decision: the catalogue error plus the verdict's reason for metrics and audit. */
export type ResidencyRefusal = SovereignError & { verdict: Verdict }

export function residencyRefusal(code: ErrorCode, verdict: Verdict): ResidencyRefusal {
  return Object.assign(sovereignError(code, verdict.detail === undefined ? verdict.reason : `${verdict.reason} (${verdict.detail})`), { verdict })
}

export function isResidencyRefusal(err: unknown): err is ResidencyRefusal {
  return err instanceof Error && typeof (err as { verdict?: unknown }).verdict === 'object'
}

export function refusalError(refusal: MeetingRefusal): SovereignError {
  switch (refusal) {
    case 'not_found': return sovereignError('SR_MEETING_NOT_FOUND')
    case 'ended': return sovereignError('SR_MEETING_ENDED')
    case 'banned': return sovereignError('SR_REMOVED_CANNOT_REJOIN')
    case 'full': return sovereignError('SR_MEETING_FULL')
    case 'unknown_participant': return sovereignError('SR_UNKNOWN_PARTICIPANT')
    case 'version_conflict':
    case 'exists': return sovereignError('SR_MEETING_STATE_CONFLICT', refusal)
  }
}
