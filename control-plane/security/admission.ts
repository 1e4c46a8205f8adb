/**
 * Admission of a participant to a meeting: a pure function over plain state. The order of
 * the checks is the contract (the first failing rule decides and names itself):
 *
 *   1. token for this meeting          SR_TOKEN_WRONG_MEETING
 *   2. meeting not ended               SR_MEETING_ENDED
 *   3. not removed before              SR_REMOVED_CANNOT_REJOIN   (unless allowRejoinAfterRemoval)
 *   4. attendee country (geo verdict)  SR_COUNTRY_FORBIDDEN       (every role: residency is not a courtesy)
 *   5. passcode                        SR_PASSCODE_REQUIRED / SR_PASSCODE_ATTEMPTS / SR_PASSCODE_WRONG   (hosts bypass)
 *   6. not locked                      SR_MEETING_LOCKED          (hosts bypass)
 *   7. capacity                        SR_MEETING_FULL            (every role; the waiting room does not count)
 *   8. host present or joinBeforeHost  wait: host_not_present     (hosts bypass: they make the host present)
 *   9. waiting room                    wait: waiting_room         (hosts bypass; so does an identity a host already admitted)
 *
 * "Hosts" means host and co-host: their tokens are minted by the tenant's backend for
 * that role, so a passcode or lock (which stop strangers with a leaked link) adds nothing.
 * The country rule comes before the passcode so a refused country learns nothing more.
 */
import type { Verdict } from '../../geo/verdict.js'
import type { RoleName } from '../protocol/common.js'
import type { ErrorCode } from '../protocol/error-codes.js'
import type { WaitReason } from '../protocol/server-messages.js'
import { passcodeMatches } from './passcode.js'

export interface AdmissionMeeting {
  readonly id: string
  readonly ended: boolean
  readonly locked: boolean
  /** Undefined when the meeting has no passcode. */
  readonly passcode?: string
  readonly passcodeRequired: boolean
  readonly waitingRoom: boolean
  readonly joinBeforeHost: boolean
  readonly allowRejoinAfterRemoval: boolean
  readonly capacity: number
  /** Admitted participants right now (waiting ones excluded). */
  readonly admittedCount: number
  /** A host or co-host is admitted right now. */
  readonly hostPresent: boolean
  /** Identities a host removed from this meeting. */
  readonly removedIdentities: ReadonlySet<string>
  /** Identities a host admitted from the waiting room before (a reconnect does not wait again). */
  readonly admittedIdentities: ReadonlySet<string>
  /**
   * The passcode may not be compared now: the identity or the meeting has used up its
   * wrong passcodes, or must back off (the caller asked the region's counters, see
   * `comparesPasscode`). Absent: allowed.
   */
  readonly passcodeAttemptRefused?: boolean
}

export interface AdmissionRequest {
  /** From the verified token. */
  readonly meetingId: string
  readonly identity: string
  readonly role: RoleName
  readonly passcode?: string
  /** The geo policy's verdict on the connection's address (geo/ decides; we only obey). */
  readonly attendee: Verdict
}

export type AdmissionDecision =
  | { readonly outcome: 'admit' }
  | { readonly outcome: 'wait'; readonly reason: WaitReason }
  | { readonly outcome: 'deny'; readonly code: ErrorCode; readonly verdict?: Verdict }

export const isHostRole = (role: RoleName): boolean => role === 'host' || role === 'co-host'

const deny = (code: ErrorCode, verdict?: Verdict): AdmissionDecision =>
  verdict === undefined ? { outcome: 'deny', code } : { outcome: 'deny', code, verdict }

export function decideAdmission(meeting: AdmissionMeeting, request: AdmissionRequest): AdmissionDecision {
  const host = isHostRole(request.role)
  if (request.meetingId !== meeting.id) return deny('SR_TOKEN_WRONG_MEETING')
  if (meeting.ended) return deny('SR_MEETING_ENDED')
  if (meeting.removedIdentities.has(request.identity) && !meeting.allowRejoinAfterRemoval) return deny('SR_REMOVED_CANNOT_REJOIN')
  if (!request.attendee.allow) return deny('SR_COUNTRY_FORBIDDEN', request.attendee)
  if (!host && meeting.passcodeRequired) {
    if (meeting.passcode === undefined) return deny('SR_MEETING_STATE_CONFLICT')
    if (request.passcode === undefined || request.passcode === '') return deny('SR_PASSCODE_REQUIRED')
    // Refused before the comparison: a try that may not be made tells nothing about the passcode.
    if (meeting.passcodeAttemptRefused === true) return deny('SR_PASSCODE_ATTEMPTS')
    if (!passcodeMatches(meeting.passcode, request.passcode)) return deny('SR_PASSCODE_WRONG')
  }
  if (!host && meeting.locked) return deny('SR_MEETING_LOCKED')
  if (meeting.admittedCount >= meeting.capacity) return deny('SR_MEETING_FULL')
  if (!host && !meeting.hostPresent && !meeting.joinBeforeHost) return { outcome: 'wait', reason: 'host_not_present' }
  if (!host && meeting.waitingRoom && !meeting.admittedIdentities.has(request.identity)) return { outcome: 'wait', reason: 'waiting_room' }
  return { outcome: 'admit' }
}

/**
 * Whether `decideAdmission` would compare the presented passcode (rules 1-4 pass, the
 * meeting requires one, the participant is no host and presented one): only such a join
 * takes a passcode attempt from the region's counters, so refusals for other reasons,
 * hosts and empty passcodes are not counted as guesses.
 */
export function comparesPasscode(meeting: AdmissionMeeting, request: AdmissionRequest): boolean {
  if (request.meetingId !== meeting.id || meeting.ended) return false
  if (meeting.removedIdentities.has(request.identity) && !meeting.allowRejoinAfterRemoval) return false
  if (!request.attendee.allow || isHostRole(request.role) || !meeting.passcodeRequired) return false
  return meeting.passcode !== undefined && request.passcode !== undefined && request.passcode !== ''
}
