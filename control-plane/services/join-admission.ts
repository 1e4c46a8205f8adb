/**
 * What admission (control-plane/security/admission.ts) is told about a meeting at one
 * join, from the one atomic read the store gives (state/meetings.ts AdmissionView): the
 * record's status and settings, and the counts as the OTHERS make them, so a participant
 * reconnecting does not count against itself or stand in for the host it is not; and
 * the decision taken with the region's passcode counters.
 */
import type { AdmissionView } from '../../state/meetings.js'
import type { AttemptDecision, PasscodeAttemptLimits, PasscodeAttemptStore } from '../../state/passcode-attempts.js'
import { comparesPasscode, decideAdmission, type AdmissionDecision, type AdmissionMeeting, type AdmissionRequest } from '../security/admission.js'
import type { Meeting } from './meeting-records.js'

export function admissionMeetingOf(meeting: Meeting, view: AdmissionView, identity: string): AdmissionMeeting {
  const record = view.meeting
  const previous = view.previous
  const wasAdmitted = previous?.status === 'admitted'
  const wasHosting = wasAdmitted && (previous.role === 'host' || previous.role === 'co-host')
  return {
    id: record.id,
    ended: record.status === 'ended',
    locked: record.status === 'locked',
    ...(meeting.passcode === undefined ? {} : { passcode: meeting.passcode }),
    passcodeRequired: record.settings.passcodeRequired,
    waitingRoom: record.settings.waitingRoom,
    joinBeforeHost: record.settings.joinBeforeHost,
    allowRejoinAfterRemoval: record.settings.allowRejoinAfterRemoval,
    capacity: record.settings.capacity,
    // The others: a reconnecting participant does not count against itself.
    admittedCount: view.admittedCount - (wasAdmitted ? 1 : 0),
    hostPresent: view.hostCount - (wasHosting ? 1 : 0) > 0,
    // Participant ids derive from the identity, so this identity's earlier entry is the only one that can say removed or admitted.
    removedIdentities: new Set(previous?.status === 'removed' ? [identity] : []),
    admittedIdentities: new Set(wasAdmitted ? [identity] : []),
  }
}

/**
 * Admission with the region's passcode counters: a passcode is compared only after an
 * attempt was taken from them (issue 9, item 4), so every node of the region counts the
 * same guesses; an attempt that was not a wrong passcode clears the identity's count.
 */
export async function admitWithCounters(
  counters: PasscodeAttemptStore, limits: PasscodeAttemptLimits, participantId: string, meeting: AdmissionMeeting, request: AdmissionRequest,
): Promise<{ readonly decision: AdmissionDecision; readonly attempt: AttemptDecision | undefined }> {
  const attempt = comparesPasscode(meeting, request) ? await counters.attempt(meeting.id, participantId, limits) : undefined
  const decision = decideAdmission({ ...meeting, passcodeAttemptRefused: attempt?.ok === false }, request)
  if (attempt?.ok === true && !(decision.outcome === 'deny' && decision.code === 'SR_PASSCODE_WRONG')) {
    await counters.succeeded(meeting.id, participantId)
  }
  return { decision, attempt }
}
