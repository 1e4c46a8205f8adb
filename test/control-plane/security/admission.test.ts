import t from 'tap'

import { allow, deny } from '../../../geo/verdict.js'
import { comparesPasscode, decideAdmission, type AdmissionMeeting, type AdmissionRequest } from '../../../control-plane/security/admission.js'

const MEETING = 'eu-west.0123456789abcdefghjkmnpqrs'
const open: AdmissionMeeting = {
  id: MEETING, ended: false, locked: false, passcode: '123456789012', passcodeRequired: true, waitingRoom: false,
  joinBeforeHost: false, allowRejoinAfterRemoval: false, capacity: 10, admittedCount: 1, hostPresent: true,
  removedIdentities: new Set(), admittedIdentities: new Set(),
}
const attendee: AdmissionRequest = {
  meetingId: MEETING, identity: 'bob', role: 'attendee', passcode: '123456789012', attendee: allow('country_allowed', 'DE'),
}

type Row = [string, Partial<AdmissionMeeting>, Partial<AdmissionRequest>, ReturnType<typeof decideAdmission>]
const forbidden = deny('country_blocked', 'KP')
const rows: Row[] = [
  ['an attendee with the right passcode joins an open meeting', {}, {}, { outcome: 'admit' }],
  ['a token for another meeting is refused', {}, { meetingId: 'eu-west.zzzzzzzzzzzzzzzzzzzzzzzzzz' }, { outcome: 'deny', code: 'SR_TOKEN_WRONG_MEETING' }],
  ['nobody joins an ended meeting, not even a host', { ended: true }, { role: 'host' }, { outcome: 'deny', code: 'SR_MEETING_ENDED' }],
  ['a removed identity cannot rejoin', { removedIdentities: new Set(['bob']) }, {}, { outcome: 'deny', code: 'SR_REMOVED_CANNOT_REJOIN' }],
  ['a removed identity rejoins when the meeting allows it', { removedIdentities: new Set(['bob']), allowRejoinAfterRemoval: true }, {}, { outcome: 'admit' }],
  ['a removed co-host cannot rejoin either', { removedIdentities: new Set(['bob']) }, { role: 'co-host' }, { outcome: 'deny', code: 'SR_REMOVED_CANNOT_REJOIN' }],
  ['an attendee from a refused country is denied with the geo verdict', {}, { attendee: forbidden }, { outcome: 'deny', code: 'SR_COUNTRY_FORBIDDEN', verdict: forbidden }],
  ['a host from a refused country is denied too', {}, { role: 'host', attendee: forbidden }, { outcome: 'deny', code: 'SR_COUNTRY_FORBIDDEN', verdict: forbidden }],
  ['the country is checked before the passcode', {}, { attendee: forbidden, passcode: 'wrong' }, { outcome: 'deny', code: 'SR_COUNTRY_FORBIDDEN', verdict: forbidden }],
  ['a missing passcode is refused', {}, { passcode: undefined }, { outcome: 'deny', code: 'SR_PASSCODE_REQUIRED' }],
  ['an empty passcode is refused as missing', {}, { passcode: '' }, { outcome: 'deny', code: 'SR_PASSCODE_REQUIRED' }],
  ['a wrong passcode is refused', {}, { passcode: '123456789013' }, { outcome: 'deny', code: 'SR_PASSCODE_WRONG' }],
  ['a passcode with a trailing character is wrong', {}, { passcode: '1234567890120' }, { outcome: 'deny', code: 'SR_PASSCODE_WRONG' }],
  ['with its tries used up even the right passcode is refused, before it is compared', { passcodeAttemptRefused: true }, {}, { outcome: 'deny', code: 'SR_PASSCODE_ATTEMPTS' }],
  ['used-up tries do not hold back a host', { passcodeAttemptRefused: true }, { role: 'host', passcode: undefined }, { outcome: 'admit' }],
  ['no passcode is needed when the meeting does not require one', { passcodeRequired: false }, { passcode: undefined }, { outcome: 'admit' }],
  ['a meeting requiring a passcode it does not have refuses attendees', { passcode: undefined }, {}, { outcome: 'deny', code: 'SR_MEETING_STATE_CONFLICT' }],
  ['a host needs no passcode', {}, { role: 'host', passcode: undefined }, { outcome: 'admit' }],
  ['a locked meeting refuses attendees', { locked: true }, {}, { outcome: 'deny', code: 'SR_MEETING_LOCKED' }],
  ['a locked meeting lets a co-host in', { locked: true }, { role: 'co-host' }, { outcome: 'admit' }],
  ['a full meeting refuses attendees', { admittedCount: 10 }, {}, { outcome: 'deny', code: 'SR_MEETING_FULL' }],
  ['a full meeting refuses hosts too', { admittedCount: 10 }, { role: 'host' }, { outcome: 'deny', code: 'SR_MEETING_FULL' }],
  ['one seat left admits', { admittedCount: 9 }, {}, { outcome: 'admit' }],
  ['without a host and join-before-host off, attendees wait', { hostPresent: false, admittedCount: 0 }, {}, { outcome: 'wait', reason: 'host_not_present' }],
  ['with join-before-host on, attendees join without a host', { hostPresent: false, joinBeforeHost: true }, {}, { outcome: 'admit' }],
  ['the host is admitted when no host is present', { hostPresent: false, admittedCount: 0 }, { role: 'host' }, { outcome: 'admit' }],
  ['host absence is reported before the waiting room', { hostPresent: false, waitingRoom: true }, {}, { outcome: 'wait', reason: 'host_not_present' }],
  ['the waiting room holds attendees', { waitingRoom: true }, {}, { outcome: 'wait', reason: 'waiting_room' }],
  ['hosts bypass the waiting room', { waitingRoom: true }, { role: 'co-host' }, { outcome: 'admit' }],
  ['an identity admitted before does not wait again', { waitingRoom: true, admittedIdentities: new Set(['bob']) }, {}, { outcome: 'admit' }],
]

t.test('admission rules, one row each', async (t) => {
  for (const [name, meeting, request, expected] of rows) {
    t.same(decideAdmission({ ...open, ...meeting }, { ...attendee, ...request }), expected, name)
  }
})

t.test('every denial code in the table is distinct per rule', async (t) => {
  const codes = rows.flatMap(([, , , d]) => (d.outcome === 'deny' ? [d.code] : []))
  t.ok(new Set(codes).size >= 9)
})

t.test('only a join whose passcode would be compared takes a passcode attempt', async (t) => {
  t.equal(comparesPasscode(open, attendee), true, 'an attendee presenting a passcode')
  t.equal(comparesPasscode(open, { ...attendee, passcode: 'wrong-guess' }), true, 'right or wrong is not known yet')
  t.equal(comparesPasscode(open, { ...attendee, passcode: undefined }), false, 'no passcode: SR_PASSCODE_REQUIRED, not a guess')
  t.equal(comparesPasscode(open, { ...attendee, passcode: '' }), false)
  t.equal(comparesPasscode(open, { ...attendee, role: 'co-host' }), false, 'hosts bypass the passcode')
  t.equal(comparesPasscode({ ...open, passcodeRequired: false }, attendee), false)
  t.equal(comparesPasscode(open, { ...attendee, attendee: forbidden }), false, 'a refused country is refused first')
  t.equal(comparesPasscode({ ...open, ended: true }, attendee), false)
  t.equal(comparesPasscode({ ...open, removedIdentities: new Set(['bob']) }, attendee), false)
})
