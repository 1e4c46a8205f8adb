/**
 * What admission (control-plane/security/admission.ts) is told about a meeting at one
 * join, from the one atomic read the store gives (state/meetings.ts AdmissionView): the
 * record's status and settings, and the counts as the OTHERS make them, so a participant
 * reconnecting does not count against itself or stand in for the host it is not.
 */
import type { AdmissionView } from '../../state/meetings.js'
import type { AdmissionMeeting } from '../security/admission.js'
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
