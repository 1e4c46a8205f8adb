import t from 'tap'

import { liveness, type MeetingLivenessInput } from '../../../geo/policy/liveness.js'

const meeting = (over: Partial<MeetingLivenessInput> = {}): MeetingLivenessInput =>
  ({ meetingId: 'eu-central.m', status: 'active', revokedAll: false, revokedParticipants: new Set(['gone']), ...over })

t.test('a meeting and a participant are live unless unknown, ended or revoked, and the first of those answers', async (t) => {
  const cases: Array<[why: string, m: MeetingLivenessInput | undefined, participant: string | undefined, allow: boolean, reason: string, detail?: string]> = [
    ['a live participant of an active meeting', meeting(), 'p1', true, 'home_region', 'eu-central.m'],
    ['a locked meeting is still live (locking keeps who is in)', meeting({ status: 'locked' }), 'p1', true, 'home_region', 'eu-central.m'],
    ['the meeting as a whole, asked without a participant', meeting(), undefined, true, 'home_region', 'eu-central.m'],
    ['no meeting', undefined, 'p1', false, 'meeting_unknown'],
    ['an ended meeting', meeting({ status: 'ended' }), 'p1', false, 'meeting_ended', 'eu-central.m'],
    ['ended wins over a revoked participant', meeting({ status: 'ended', revokedAll: true }), 'gone', false, 'meeting_ended', 'eu-central.m'],
    ['the whole meeting revoked', meeting({ revokedAll: true }), 'p1', false, 'participant_revoked', '*'],
    ['the whole meeting revoked, asked without a participant', meeting({ revokedAll: true }), undefined, false, 'participant_revoked', '*'],
    ['this participant revoked', meeting(), 'gone', false, 'participant_revoked', 'gone'],
    ['another participant\'s revocation says nothing of the meeting', meeting(), undefined, true, 'home_region', 'eu-central.m'],
  ]
  for (const [why, m, participant, allow, reason, detail] of cases) {
    t.same(liveness(m, participant), detail === undefined ? { allow, reason } : { allow, reason, detail }, why)
  }
})
