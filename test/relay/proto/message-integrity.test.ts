import { createHash } from 'node:crypto'
import t from 'tap'
import { Attr, MessageClass, Method } from '../../../relay/proto/constants.js'
import { decodeMessage, encodeMessage } from '../../../relay/proto/message.js'
import {
  hasMessageIntegrity,
  longTermKey,
  longTermKeySha256,
  verifyMessageIntegrity,
  verifyMessageIntegritySha256,
} from '../../../relay/proto/message-integrity.js'

const base = {
  method: Method.Refresh,
  cls: MessageClass.Request,
  transactionId: Buffer.alloc(12, 9),
  attributes: [{ type: Attr.Username, value: Buffer.from('1700000000:alice') }],
}

t.test('the long-term key is MD5 of username:realm:password', async (t) => {
  t.same(longTermKey('user', 'realm', 'pass'), createHash('md5').update('user:realm:pass').digest())
  t.same(longTermKeySha256('user', 'realm', 'pass'), createHash('sha256').update('user:realm:pass').digest())
})

t.test('integrity verifies with fingerprint after it and fails with the wrong key', async (t) => {
  const key = longTermKey('1700000000:alice', 'r', 'p')
  const msg = decodeMessage(encodeMessage(base, { integrityKey: key, fingerprint: true }))
  t.ok(hasMessageIntegrity(msg))
  t.ok(verifyMessageIntegrity(msg, key))
  t.notOk(verifyMessageIntegrity(msg, longTermKey('1700000000:alice', 'r', 'q')))
})

t.test('a message without integrity does not verify', async (t) => {
  const msg = decodeMessage(encodeMessage(base))
  t.notOk(hasMessageIntegrity(msg))
  t.notOk(verifyMessageIntegrity(msg, Buffer.from('k')))
  t.notOk(verifyMessageIntegritySha256(msg, Buffer.from('k')))
})

t.test('both integrity attributes can be carried and each verifies on its own', async (t) => {
  const k1 = Buffer.from('sha1-key')
  const k256 = Buffer.from('sha256-key')
  const msg = decodeMessage(encodeMessage(base, { integrityKey: k1, integritySha256Key: k256, fingerprint: true }))
  t.ok(verifyMessageIntegrity(msg, k1))
  t.ok(verifyMessageIntegritySha256(msg, k256))
})

t.test('a truncated SHA-256 integrity of 16 bytes verifies; other sizes do not', async (t) => {
  const k = Buffer.from('sha256-key')
  const full = encodeMessage(base, { integritySha256Key: k })
  // Rebuild with the attribute cut to 16 bytes: the HMAC covers the header with the shorter length.
  const truncated = Buffer.from(full.subarray(0, full.length - 16))
  truncated.writeUInt16BE(16, full.length - 36 + 2)
  truncated.writeUInt16BE(truncated.length - 20, 2)
  const { createHmac } = await import('node:crypto')
  const mac = createHmac('sha256', k)
    .update(truncated.subarray(0, full.length - 36))
    .digest()
    .subarray(0, 16)
  mac.copy(truncated, full.length - 32)
  t.ok(verifyMessageIntegritySha256(decodeMessage(truncated), k))
  const odd = Buffer.from(truncated)
  odd.writeUInt16BE(12, full.length - 36 + 2)
  odd.writeUInt16BE(odd.length - 20 - 4, 2)
  t.notOk(verifyMessageIntegritySha256(decodeMessage(odd.subarray(0, odd.length - 4)), k))
})

t.test('a MESSAGE-INTEGRITY of the wrong size never verifies', async (t) => {
  const raw = encodeMessage({ ...base, attributes: [...base.attributes, { type: Attr.MessageIntegrity, value: Buffer.alloc(16) }] })
  t.notOk(verifyMessageIntegrity(decodeMessage(raw), Buffer.from('k')))
})
