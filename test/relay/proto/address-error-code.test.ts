import t from 'tap'
import { decodeAddressErrorCode, encodeAddressErrorCode } from '../../../relay/proto/address-error-code.js'

t.test('ADDRESS-ERROR-CODE names the failed family with an error code', async (t) => {
  const v = encodeAddressErrorCode(6, 440)
  t.equal(v.subarray(0, 4).toString('hex'), '02000428')
  t.same(decodeAddressErrorCode(v), { family: 6, code: 440, reason: 'Address Family not Supported' })
  t.same(decodeAddressErrorCode(encodeAddressErrorCode(4, 508, 'no ports')), { family: 4, code: 508, reason: 'no ports' })
})

t.test('an unknown family or a short value is refused', async (t) => {
  t.throws(() => decodeAddressErrorCode(Buffer.from('03000428', 'hex')), { code: 'ERR_STUN_ADDRESS_FAMILY' })
  t.throws(() => decodeAddressErrorCode(Buffer.from('0200', 'hex')), { code: 'ERR_STUN_BAD_ATTRIBUTE' })
})
