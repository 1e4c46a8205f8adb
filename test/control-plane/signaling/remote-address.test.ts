import t from 'tap'

import { normalizeAddress, observedAddress } from '../../../control-plane/signaling/remote-address.js'
import { meetingIdOf } from '../../../control-plane/signaling/session.js'
import { newMeetingId } from '../../../state/meeting-id.js'

t.test('IPv4-mapped addresses are unwrapped so relays compare the same text', async (t) => {
  t.equal(normalizeAddress('::ffff:127.1.0.2'), '127.1.0.2')
  t.equal(normalizeAddress('127.0.0.1'), '127.0.0.1')
  t.equal(normalizeAddress('::1'), '::1')
})

t.test('X-Forwarded-For counts only from a trusted proxy, and only its right-most entry', async (t) => {
  const trusted = (peer: string) => peer === '127.0.0.9'
  t.equal(observedAddress('127.0.0.5', '198.51.100.7', trusted), '127.0.0.5', 'an untrusted peer cannot claim another address')
  t.equal(observedAddress('127.0.0.5', '198.51.100.7'), '127.0.0.5', 'no trusted proxy configured')
  t.equal(observedAddress('127.0.0.9', '203.0.113.1, 198.51.100.7', trusted), '198.51.100.7', 'the hop the proxy added')
  t.equal(observedAddress('::ffff:127.0.0.9', 'not-an-ip', trusted), '127.0.0.9', 'garbage falls back to the peer')
})

t.test('the meeting id a token names is read for routing only, and only when well formed', async (t) => {
  const id = newMeetingId('us-east')
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')
  t.equal(meetingIdOf(`${b64({ alg: 'HS256' })}.${b64({ mid: id })}.sig`), id)
  t.equal(meetingIdOf(`${b64({ alg: 'HS256' })}.${b64({ mid: 'not-a-meeting' })}.sig`), undefined)
  t.equal(meetingIdOf('garbage'), undefined)
})
