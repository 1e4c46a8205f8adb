import t from 'tap'

import type { SignalMessage, SignalSdpMessage } from '../../../control-plane/protocol/client-messages.js'
import type { CapabilityName, RoleName } from '../../../control-plane/protocol/common.js'
import type { CapabilitySettings } from '../../../control-plane/security/capabilities.js'
import { mediaSections } from '../../../control-plane/security/sdp-media.js'
import { decideSignal, screenShareEvidence, type SignalSender } from '../../../control-plane/security/signal-rules.js'

const defaults: CapabilitySettings = { hostOnlyScreenShare: true, fileTransfer: false, recording: 'host' }
const sender = (role: RoleName, granted: CapabilityName[] = []): SignalSender =>
  ({ participantId: 'p_me', role, granted: new Set(granted), revoked: new Set() })
const admitted = new Set(['p_me', 'p_other'])
const opts = { isAdmitted: (id: string) => admitted.has(id) }

const sdp = (...sections: string[]) => ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', ...sections].join('\r\n') + '\r\n'
const audio = 'm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=sendrecv\r\na=msid:stream-1 mic-1'
const camera = 'm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\na=sendrecv\r\na=msid:stream-1 cam-1'
const camera2 = 'm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:3\r\na=sendonly\r\na=msid:stream-2 cam-2'
const slides = 'm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:2\r\na=sendonly\r\na=content:slides'
const screenMsid = 'm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:2\r\na=sendonly\r\na=msid:screen-stream track-9'
const receivingSlides = 'm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:2\r\na=recvonly\r\na=content:slides'
const disabledVideo = 'm=video 0 UDP/TLS/RTP/SAVPF 96\r\na=mid:4\r\na=sendrecv'

const offer = (payload: string, extra: Partial<SignalSdpMessage> = {}): SignalMessage =>
  ({ type: 'signal', to: 'p_other', kind: 'offer', payload, ...extra })

t.test('signal routing and rights, one row each', async (t) => {
  const rows: Array<[string, SignalSender, SignalMessage, Partial<CapabilitySettings>, ReturnType<typeof decideSignal>]> = [
    ['an attendee may offer audio and one camera', sender('attendee'), offer(sdp(audio, camera), { tracks: [{ kind: 'audio' }, { kind: 'video' }] }), {}, { allow: true }],
    ['a signal to oneself is refused', sender('attendee'), offer(sdp(audio), { to: 'p_me' }), {}, { allow: false, code: 'SR_TARGET_IS_SELF' }],
    ['a signal to someone not admitted is refused', sender('attendee'), offer(sdp(audio), { to: 'p_waiting' }), {}, { allow: false, code: 'SR_UNKNOWN_PARTICIPANT' }],
    ['a signal to all is routed', sender('attendee'), { type: 'signal', to: 'all', kind: 'ice', payload: '' }, {}, { allow: true }],
    ['an opaque key message is forwarded unread', sender('attendee'), { type: 'signal', to: 'p_other', kind: 'key', payload: 'c2VhbGVk' }, {}, { allow: true }],
    ['a declared screen track without the right is refused', sender('attendee'), offer(sdp(camera), { tracks: [{ kind: 'screen' }] }), {}, { allow: false, code: 'SR_SCREEN_SHARE_NOT_ALLOWED' }],
    ['a declared screen track from the host passes', sender('host'), offer(sdp(audio, camera, slides), { tracks: [{ kind: 'screen' }] }), {}, { allow: true }],
    ['a declared screen track from a granted attendee passes', sender('attendee', ['screenShare']), offer(sdp(slides), { tracks: [{ kind: 'screen' }] }), {}, { allow: true }],
    ['an attendee may share when host-only screen share is off', sender('attendee'), offer(sdp(slides), { tracks: [{ kind: 'screen' }] }), { hostOnlyScreenShare: false }, { allow: true }],
    ['an undeclared a=content:slides section is caught', sender('attendee'), offer(sdp(audio, slides)), {}, { allow: false, code: 'SR_SCREEN_SHARE_NOT_ALLOWED' }],
    ['an msid naming a screen is caught', sender('attendee'), offer(sdp(screenMsid)), {}, { allow: false, code: 'SR_SCREEN_SHARE_NOT_ALLOWED' }],
    ['a second sending video (a mislabelled screen?) is refused', sender('attendee'), offer(sdp(camera, camera2), { tracks: [{ kind: 'video' }, { kind: 'video' }] }), {}, { allow: false, code: 'SR_SCREEN_SHARE_NOT_ALLOWED' }],
    ['receiving someone else\'s slides is fine', sender('attendee'), { ...offer(sdp(audio, camera, receivingSlides)), kind: 'answer' }, {}, { allow: true }],
    ['a disabled video section does not count', sender('attendee'), offer(sdp(camera, disabledVideo)), {}, { allow: true }],
    ['a file-transfer channel without the right is refused', sender('attendee'), offer(sdp(audio), { dataChannels: [{ label: 'file:report.pdf' }] }), {}, { allow: false, code: 'SR_FILE_TRANSFER_NOT_ALLOWED' }],
    ['a chat channel needs no right', sender('attendee'), offer(sdp(audio), { dataChannels: [{ label: 'chat' }] }), {}, { allow: true }],
    ['a file-transfer channel with the meeting setting on passes', sender('attendee'), offer(sdp(audio), { dataChannels: [{ label: 'file:x' }] }), { fileTransfer: true }, { allow: true }],
    ['a file-transfer channel with a grant passes', sender('attendee', ['fileTransfer']), offer(sdp(audio), { dataChannels: [{ label: 'file:x' }] }), {}, { allow: true }],
  ]
  for (const [name, s, signal, settings, expected] of rows) t.same(decideSignal(s, signal, { ...defaults, ...settings }, opts), expected, name)
})

t.test('screen-share evidence names its source', async (t) => {
  t.equal(screenShareEvidence(offer(sdp(camera), { tracks: [{ kind: 'screen' }] })), 'declared screen track')
  t.equal(screenShareEvidence(offer(sdp(slides))), 'a=content:slides')
  t.equal(screenShareEvidence(offer(sdp(screenMsid))), 'msid names a screen')
  t.equal(screenShareEvidence(offer(sdp(camera))), undefined)
})

t.test('the SDP reader applies a session-level direction and survives garbage', async (t) => {
  const sessionInactive = ['v=0', 'a=inactive', 'm=video 9 RTP/AVP 96'].join('\n')
  t.same(mediaSections(sessionInactive).map((s) => s.sends), [false])
  t.same(mediaSections('garbage\n\n=m'), [])
})
