import t from 'tap'

import { normalizeAddress, observedAddress, trustedProxies } from '../../../control-plane/signaling/remote-address.js'
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

t.test('from trusted proxies the answer is the right-most address that is not a trusted proxy', async (t) => {
  const trusted = trustedProxies(['127.0.0.0/24', '10.0.0.0/8'])!
  t.equal(observedAddress('127.0.0.9', '198.51.100.7, 10.1.2.3', trusted), '198.51.100.7', 'two trusted hops are walked past')
  t.equal(observedAddress('127.0.0.9', '203.0.113.66, 198.51.100.7, 10.1.2.3', trusted), '198.51.100.7', 'a spoofed entry left of the client is never reached')
  t.equal(observedAddress('127.0.0.9', ['203.0.113.66', '198.51.100.7'], trusted), '198.51.100.7', 'several header lines are one list')
  t.equal(observedAddress('127.0.0.9', '198.51.100.7:4711', trusted), '198.51.100.7', 'a port after an IPv4 entry is dropped')
  t.equal(observedAddress('127.0.0.9', '[2001:db8::7]:443', trusted), '2001:db8::7', 'a bracketed IPv6 entry')
  t.equal(observedAddress('127.0.0.9', '10.1.2.3, 10.0.0.1', trusted), '10.1.2.3', 'a chain of trusted proxies only: the left-most one')
  t.equal(observedAddress('127.0.0.9', '198.51.100.7, garbage, 10.1.2.3', trusted), '10.1.2.3', 'an entry that is no address stops at the trusted hop that passed it on')
  t.equal(observedAddress('127.0.1.9', '198.51.100.7', trusted), '127.0.1.9', 'a peer outside the ranges is not trusted')
  t.equal(observedAddress('::ffff:127.0.0.9', '::ffff:198.51.100.7', trusted), '198.51.100.7', 'IPv4-mapped addresses match their IPv4 ranges and are unwrapped')
  t.equal(trustedProxies([]), undefined, 'an empty list trusts nobody')
})

t.test('the meeting id a token names is read for routing only, and only when well formed', async (t) => {
  const id = newMeetingId('us-east')
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')
  t.equal(meetingIdOf(`${b64({ alg: 'HS256' })}.${b64({ mid: id })}.sig`), id)
  t.equal(meetingIdOf(`${b64({ alg: 'HS256' })}.${b64({ mid: 'not-a-meeting' })}.sig`), undefined)
  t.equal(meetingIdOf('garbage'), undefined)
})
