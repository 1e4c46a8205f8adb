/**
 * Whether a meeting, and a participant in it, is still live (guarantee 5): the one
 * answer the relay gives at allocation, refresh and permission time and the revocation
 * enforcer gives when it re-checks the allocations it carries.
 *
 *   no such meeting             → deny (meeting_unknown)
 *   meeting ended               → deny (meeting_ended)
 *   whole meeting revoked ('*') → deny (participant_revoked, '*')
 *   this participant revoked    → deny (participant_revoked)
 *   otherwise                   → allow (home_region: nothing of the meeting says stop)
 *
 * Without a participant the question is about the meeting as a whole: only the first
 * three cases can deny. Structural input, so geo needs nothing of state/.
 */
import { allow, deny, type Verdict } from '../verdict.js'

/** The fields of a meeting's policy snapshot this decision reads (state's PolicySnapshot satisfies it). */
export interface MeetingLivenessInput {
  readonly meetingId: string
  readonly status: string
  /** The whole meeting is revoked ('*'), as after end. */
  readonly revokedAll: boolean
  /** Participants whose revocation is still in force. */
  readonly revokedParticipants: ReadonlySet<string>
}

export function liveness(meeting: MeetingLivenessInput | undefined, participantId?: string): Verdict {
  if (meeting === undefined) return deny('meeting_unknown')
  if (meeting.status === 'ended') return deny('meeting_ended', meeting.meetingId)
  if (meeting.revokedAll) return deny('participant_revoked', '*')
  if (participantId !== undefined && meeting.revokedParticipants.has(participantId)) return deny('participant_revoked', participantId)
  return allow('home_region', meeting.meetingId)
}
