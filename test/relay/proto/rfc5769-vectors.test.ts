import t from 'tap'
import {
  Attr,
  MessageClass,
  Method,
  decodeMessage,
  decodeNonce,
  decodeRealm,
  decodeSoftware,
  decodeUsername,
  decodeXorAddress,
  encodeMessage,
  encodeNonce,
  encodeRealm,
  encodeUsername,
  encodeXorAddress,
  getAttribute,
  longTermKey,
  longTermKeySha256,
  shortTermKey,
  verifyFingerprint,
  verifyMessageIntegrity,
  verifyMessageIntegritySha256,
} from '../../../relay/proto/index.js'
import { loadHex } from '../testdata/hex.js'

const SHORT_TERM_PASSWORD = 'VOkJxbRl1RmTxUk/WvJxBt'
const LONG_TERM_USERNAME = '\u30DE\u30C8\u30EA\u30C3\u30AF\u30B9'
// RFC 5769 §2.4: "The<U+00AD>M<U+00AA>tr<U+2168>" after SASLprep.
const LONG_TERM_PASSWORD = 'TheMatrIX'

t.test('the RFC 5769 sample request decodes and its integrity and fingerprint verify', async (t) => {
  const raw = loadHex('rfc5769-sample-request')
  const msg = decodeMessage(raw)
  t.equal(msg.method, Method.Binding)
  t.equal(msg.cls, MessageClass.Request)
  t.equal(msg.transactionId.toString('hex'), 'b7e7a701bc34d686fa87dfae')
  t.equal(decodeSoftware(getAttribute(msg, Attr.Software)!.value), 'STUN test client')
  t.equal(decodeUsername(getAttribute(msg, Attr.Username)!.value), 'evtj:h6vY')
  t.same(
    msg.attributes.map((a) => a.type),
    [Attr.Software, 0x0024, 0x8029, Attr.Username, Attr.MessageIntegrity, Attr.Fingerprint],
  )
  t.ok(verifyMessageIntegrity(msg, shortTermKey(SHORT_TERM_PASSWORD)))
  t.ok(verifyFingerprint(msg))
  t.notOk(verifyMessageIntegrity(msg, shortTermKey('wrong password')), 'a wrong key is refused')
})

t.test('the RFC 5769 IPv4 response yields 192.0.2.1:32853 and verifies', async (t) => {
  const raw = loadHex('rfc5769-ipv4-response')
  const msg = decodeMessage(raw)
  t.equal(msg.cls, MessageClass.SuccessResponse)
  const xma = getAttribute(msg, Attr.XorMappedAddress)!
  t.same(decodeXorAddress(xma.value, msg.transactionId), { family: 4, address: '192.0.2.1', port: 32853 })
  t.same(encodeXorAddress({ family: 4, address: '192.0.2.1', port: 32853 }, msg.transactionId), xma.value, 'the encoder produces the same bytes')
  t.equal(decodeSoftware(getAttribute(msg, Attr.Software)!.value), 'test vector')
  t.ok(verifyMessageIntegrity(msg, shortTermKey(SHORT_TERM_PASSWORD)))
  t.ok(verifyFingerprint(msg))
})

t.test('the RFC 5769 IPv6 response yields 2001:db8:1234:5678:11:2233:4455:6677 and verifies', async (t) => {
  const raw = loadHex('rfc5769-ipv6-response')
  const msg = decodeMessage(raw)
  const xma = getAttribute(msg, Attr.XorMappedAddress)!
  const addr = { family: 6 as const, address: '2001:db8:1234:5678:11:2233:4455:6677', port: 32853 }
  t.same(decodeXorAddress(xma.value, msg.transactionId), addr)
  t.same(encodeXorAddress(addr, msg.transactionId), xma.value, 'the encoder produces the same bytes')
  t.ok(verifyMessageIntegrity(msg, shortTermKey(SHORT_TERM_PASSWORD)))
  t.ok(verifyFingerprint(msg))
})

t.test('the RFC 5769 long-term request verifies and re-encodes byte for byte', async (t) => {
  const raw = loadHex('rfc5769-long-term-request')
  const msg = decodeMessage(raw)
  t.equal(decodeUsername(getAttribute(msg, Attr.Username)!.value), LONG_TERM_USERNAME)
  t.equal(decodeNonce(getAttribute(msg, Attr.Nonce)!.value), 'f//499k954d6OL34oL9FSTvy64sA')
  t.equal(decodeRealm(getAttribute(msg, Attr.Realm)!.value), 'example.org')
  const key = longTermKey(LONG_TERM_USERNAME, 'example.org', LONG_TERM_PASSWORD)
  t.ok(verifyMessageIntegrity(msg, key))
  const encoded = encodeMessage(
    {
      method: Method.Binding,
      cls: MessageClass.Request,
      transactionId: msg.transactionId,
      attributes: [
        { type: Attr.Username, value: encodeUsername(LONG_TERM_USERNAME) },
        { type: Attr.Nonce, value: encodeNonce('f//499k954d6OL34oL9FSTvy64sA') },
        { type: Attr.Realm, value: encodeRealm('example.org') },
      ],
    },
    { integrityKey: key },
  )
  t.equal(encoded.toString('hex'), raw.toString('hex'))
})

t.test('the RFC 8489 B.1 SHA-256 request verifies and re-encodes byte for byte', async (t) => {
  const raw = loadHex('rfc8489-long-term-sha256-request')
  const msg = decodeMessage(raw)
  const key = longTermKeySha256(LONG_TERM_USERNAME, 'example.org', LONG_TERM_PASSWORD)
  t.ok(verifyMessageIntegritySha256(msg, key))
  t.notOk(verifyMessageIntegrity(msg, key), 'there is no SHA-1 integrity to verify')
  const attributes = msg.attributes
    .filter((a) => a.type !== Attr.MessageIntegritySha256)
    .map((a) => ({ type: a.type, value: a.value }))
  const encoded = encodeMessage(
    { method: msg.method, cls: msg.cls, transactionId: msg.transactionId, attributes },
    { integritySha256Key: key },
  )
  t.equal(encoded.toString('hex'), raw.toString('hex'))
})

t.test('a flipped bit anywhere before the integrity attribute breaks integrity and fingerprint', async (t) => {
  const raw = loadHex('rfc5769-ipv4-response')
  for (const at of [1, 9, 25, 40]) {
    const copy = Buffer.from(raw)
    copy[at]! ^= 0x01
    const msg = decodeMessage(copy)
    t.notOk(verifyMessageIntegrity(msg, shortTermKey(SHORT_TERM_PASSWORD)), `integrity fails with byte ${at} flipped`)
    t.notOk(verifyFingerprint(msg), `fingerprint fails with byte ${at} flipped`)
  }
})
