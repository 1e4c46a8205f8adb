import t from 'tap'

import type { CapabilityName, RoleName } from '../../../control-plane/protocol/common.js'
import {
  applyGrant, capabilitiesOf, decideHostCommand, decideRequest, type CapabilityHolder, type CapabilitySettings,
} from '../../../control-plane/security/capabilities.js'

const defaults: CapabilitySettings = { hostOnlyScreenShare: true, fileTransfer: false, recording: 'host' }
const holder = (role: RoleName, granted: CapabilityName[] = [], revoked: CapabilityName[] = []): CapabilityHolder =>
  ({ role, granted: new Set(granted), revoked: new Set(revoked) })

t.test('capabilities by role, settings, grants and revokes', async (t) => {
  const rows: Array<[string, CapabilityHolder, Partial<CapabilitySettings>, CapabilityName[]]> = [
    ['by default a host may share the screen and record, not transfer files', holder('host'), {}, ['screenShare', 'recording']],
    ['by default a co-host has the host defaults', holder('co-host'), {}, ['screenShare', 'recording']],
    ['by default an attendee has nothing', holder('attendee'), {}, []],
    ['with host-only screen share off, attendees may share', holder('attendee'), { hostOnlyScreenShare: false }, ['screenShare']],
    ['with file transfer on, everyone may transfer', holder('attendee'), { fileTransfer: true }, ['fileTransfer']],
    ['with recording for everyone, attendees may record', holder('attendee'), { recording: 'everyone' }, ['recording']],
    ['with recording off, not even the host records', holder('host'), { recording: 'off' }, ['screenShare']],
    ['recording off beats a grant', holder('attendee', ['recording']), { recording: 'off' }, []],
    ['a grant gives an attendee screen share', holder('attendee', ['screenShare']), {}, ['screenShare']],
    ['a grant gives file transfer although the meeting default is off', holder('attendee', ['fileTransfer']), {}, ['fileTransfer']],
    ['a revoke takes a default away from an attendee', holder('attendee', [], ['screenShare']), { hostOnlyScreenShare: false }, []],
    ['a revoke takes a default away from a co-host', holder('co-host', [], ['recording']), {}, ['screenShare']],
    ['the host\'s capabilities cannot be revoked', holder('host', [], ['screenShare', 'recording']), {}, ['screenShare', 'recording']],
  ]
  for (const [name, h, settings, expected] of rows) t.same(capabilitiesOf(h, { ...defaults, ...settings }), expected, name)
})

t.test('requests are refused with a code naming the right that is missing', async (t) => {
  const rows: Array<[string, CapabilityHolder, Partial<CapabilitySettings>, Parameters<typeof decideRequest>[1], ReturnType<typeof decideRequest>]> = [
    ['an attendee may not start a screen share', holder('attendee'), {}, 'startScreenShare', { allow: false, code: 'SR_SCREEN_SHARE_NOT_ALLOWED' }],
    ['a host may start a screen share', holder('host'), {}, 'startScreenShare', { allow: true }],
    ['a granted attendee may start a screen share', holder('attendee', ['screenShare']), {}, 'startScreenShare', { allow: true }],
    ['an attendee may not open a file transfer by default', holder('attendee'), {}, 'openFileTransfer', { allow: false, code: 'SR_FILE_TRANSFER_NOT_ALLOWED' }],
    ['a host may not open a file transfer by default either', holder('host'), {}, 'openFileTransfer', { allow: false, code: 'SR_FILE_TRANSFER_NOT_ALLOWED' }],
    ['an attendee may not record by default', holder('attendee'), {}, 'startRecording', { allow: false, code: 'SR_RECORDING_NOT_ALLOWED' }],
    ['a host may record by default', holder('host'), {}, 'startRecording', { allow: true }],
    ['nobody records when recording is off', holder('host'), { recording: 'off' }, 'startRecording', { allow: false, code: 'SR_RECORDING_OFF' }],
  ]
  for (const [name, h, settings, request, expected] of rows) t.same(decideRequest(h, request, { ...defaults, ...settings }), expected, name)
})

t.test('host commands by actor and target', async (t) => {
  const host = { role: 'host' as const, participantId: 'p_host' }
  const cohost = { role: 'co-host' as const, participantId: 'p_co' }
  const attendee = { role: 'attendee' as const, participantId: 'p_att' }
  const waiting = { role: 'attendee' as const, participantId: 'p_w', state: 'waiting' as const }
  const admitted = { role: 'attendee' as const, participantId: 'p_a', state: 'admitted' as const }
  const hostTarget = { role: 'host' as const, participantId: 'p_host', state: 'admitted' as const }
  const rows: Array<[string, Parameters<typeof decideHostCommand>, ReturnType<typeof decideHostCommand>]> = [
    ['an attendee may not lock', [attendee, 'lock'], { allow: false, code: 'SR_NOT_HOST' }],
    ['an attendee may not admit', [attendee, 'admit', waiting], { allow: false, code: 'SR_NOT_HOST' }],
    ['a co-host may lock and unlock', [cohost, 'unlock'], { allow: true }],
    ['a co-host may not end the meeting', [cohost, 'end'], { allow: false, code: 'SR_HOST_ONLY' }],
    ['the host may end the meeting', [host, 'end'], { allow: true }],
    ['a co-host may admit a waiting participant', [cohost, 'admit', waiting], { allow: true }],
    ['admitting someone who is not waiting is refused', [cohost, 'admit', admitted], { allow: false, code: 'SR_NOT_WAITING' }],
    ['a co-host may deny a waiting participant', [cohost, 'deny', waiting], { allow: true }],
    ['removing someone absent is refused', [host, 'remove', { ...admitted, state: 'absent' }], { allow: false, code: 'SR_UNKNOWN_PARTICIPANT' }],
    ['removing without a target is refused', [host, 'remove'], { allow: false, code: 'SR_UNKNOWN_PARTICIPANT' }],
    ['a co-host may remove an attendee', [cohost, 'remove', admitted], { allow: true }],
    ['a co-host may remove someone still waiting', [cohost, 'remove', waiting], { allow: true }],
    ['a co-host may not remove the host', [cohost, 'remove', hostTarget], { allow: false, code: 'SR_CANNOT_ACT_ON_HOST' }],
    ['the host may not remove itself', [host, 'remove', hostTarget], { allow: false, code: 'SR_TARGET_IS_SELF' }],
    ['a co-host may grant screen share to an attendee', [cohost, 'grant', admitted, 'screenShare', defaults], { allow: true }],
    ['a co-host may not revoke from the host', [cohost, 'revoke', hostTarget, 'screenShare', defaults], { allow: false, code: 'SR_CANNOT_ACT_ON_HOST' }],
    ['granting to someone waiting is refused', [host, 'grant', waiting, 'screenShare', defaults], { allow: false, code: 'SR_UNKNOWN_PARTICIPANT' }],
    ['granting recording when recording is off is refused', [host, 'grant', admitted, 'recording', { ...defaults, recording: 'off' }], { allow: false, code: 'SR_RECORDING_OFF' }],
  ]
  for (const [name, args, expected] of rows) t.same(decideHostCommand(...args), expected, name)
})

t.test('grant and revoke keep the latest decision', async (t) => {
  let h = holder('attendee')
  h = applyGrant(h, 'screenShare', true)
  t.same(capabilitiesOf(h, defaults), ['screenShare'])
  h = applyGrant(h, 'screenShare', false)
  t.same(capabilitiesOf(h, defaults), [])
  t.same([...h.granted], [])
  h = applyGrant(h, 'screenShare', true)
  t.same([...h.revoked], [])
  t.same(capabilitiesOf(h, defaults), ['screenShare'])
})
