import t from 'tap'
import {
  decodeAdditionalAddressFamily,
  decodeRequestedAddressFamily,
  encodeAdditionalAddressFamily,
  encodeRequestedAddressFamily,
} from '../../../relay/proto/requested-address-family.js'

t.test('address families are 0x01 for IPv4 and 0x02 for IPv6', async (t) => {
  t.equal(encodeRequestedAddressFamily(4).toString('hex'), '01000000')
  t.equal(decodeRequestedAddressFamily(encodeRequestedAddressFamily(6)), 6)
  t.equal(decodeAdditionalAddressFamily(encodeAdditionalAddressFamily()), 6)
})

t.test('an unknown family is ERR_STUN_ADDRESS_FAMILY so the server can answer 440', async (t) => {
  t.throws(() => decodeRequestedAddressFamily(Buffer.from('03000000', 'hex')), { code: 'ERR_STUN_ADDRESS_FAMILY' })
  t.throws(() => decodeRequestedAddressFamily(Buffer.from('01', 'hex')), { code: 'ERR_STUN_BAD_ATTRIBUTE' })
  t.throws(() => decodeAdditionalAddressFamily(Buffer.from('01000000', 'hex')), { code: 'ERR_STUN_BAD_ATTRIBUTE' }, 'ADDITIONAL-ADDRESS-FAMILY may only ask for IPv6')
})
