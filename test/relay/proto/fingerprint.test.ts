import t from 'tap'
import { crc32, hasFingerprint, verifyFingerprint } from '../../../relay/proto/fingerprint.js'
import { decodeMessage, encodeMessage } from '../../../relay/proto/message.js'

const base = { method: 1, cls: 0, transactionId: Buffer.alloc(12, 3), attributes: [{ type: 0x8022, value: Buffer.from('x') }] }

t.test('CRC-32 matches the standard check value', async (t) => {
  t.equal(crc32(Buffer.from('123456789')), 0xcbf43926)
})

t.test('an encoded fingerprint verifies and any changed byte breaks it', async (t) => {
  const raw = encodeMessage(base, { fingerprint: true })
  t.ok(verifyFingerprint(decodeMessage(raw)))
  const bad = Buffer.from(raw)
  bad[21]! ^= 0x40
  t.ok(hasFingerprint(decodeMessage(bad)))
  t.notOk(verifyFingerprint(decodeMessage(bad)))
})

t.test('a message without FINGERPRINT, or with one not last, does not verify', async (t) => {
  t.notOk(verifyFingerprint(decodeMessage(encodeMessage(base))))
  const raw = encodeMessage(base, { fingerprint: true })
  const extended = Buffer.concat([raw, Buffer.from('80220000', 'hex')])
  extended.writeUInt16BE(extended.length - 20, 2)
  t.notOk(verifyFingerprint(decodeMessage(extended)))
})

t.test('bytes that merely look like a trailing FINGERPRINT inside a value are not taken for one', async (t) => {
  const fake = encodeMessage({ ...base, attributes: [{ type: 0x8022, value: Buffer.from('8028000400000000', 'hex') }] })
  const msg = decodeMessage(fake)
  fake.writeUInt32BE(crc32(fake.subarray(0, fake.length - 8)) ^ 0x5354554e, fake.length - 4)
  t.notOk(verifyFingerprint(msg))
})
