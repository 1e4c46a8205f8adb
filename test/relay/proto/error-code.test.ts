import t from 'tap'
import { decodeErrorCode, encodeErrorCode } from '../../../relay/proto/error-code.js'

t.test('error codes split into class and number with the RFC reason by default', async (t) => {
  const v = encodeErrorCode(438)
  t.equal(v.subarray(0, 4).toString('hex'), '00000426')
  t.same(decodeErrorCode(v), { code: 438, reason: 'Stale Nonce' })
  t.same(decodeErrorCode(encodeErrorCode(508)), { code: 508, reason: 'Insufficient Capacity' })
  t.same(decodeErrorCode(encodeErrorCode(403, 'peer denied')), { code: 403, reason: 'peer denied' })
})

t.test('overlong reasons are cut to 127 characters on encode and refused on decode', async (t) => {
  t.equal(decodeErrorCode(encodeErrorCode(400, 'é'.repeat(300))).reason.length, 127)
  const long = Buffer.concat([Buffer.from('00000400', 'hex'), Buffer.alloc(200, 0x61)])
  t.throws(() => decodeErrorCode(long), { code: 'ERR_STUN_ATTR_TOO_LONG' })
})

t.test('out-of-range codes are refused', async (t) => {
  t.throws(() => encodeErrorCode(200), RangeError)
  t.throws(() => decodeErrorCode(Buffer.from('00000200', 'hex')), { code: 'ERR_STUN_BAD_ATTRIBUTE' })
  t.throws(() => decodeErrorCode(Buffer.from('00000464', 'hex')), { code: 'ERR_STUN_BAD_ATTRIBUTE' })
  t.throws(() => decodeErrorCode(Buffer.from('0000', 'hex')), { code: 'ERR_STUN_BAD_ATTRIBUTE' })
  t.throws(() => decodeErrorCode(Buffer.from('00000400ff', 'hex')), { code: 'ERR_STUN_BAD_ATTRIBUTE' }, 'invalid UTF-8')
})
