import t from 'tap'
import { decodeAddress, encodeAddress } from '../../../relay/proto/address.js'

t.test('MAPPED-ADDRESS values round-trip in the clear', async (t) => {
  const v4 = encodeAddress({ family: 4, address: '192.0.2.1', port: 32853 })
  t.equal(v4.toString('hex'), '00018055c0000201')
  t.same(decodeAddress(v4), { family: 4, address: '192.0.2.1', port: 32853 })
  const v6 = { family: 6 as const, address: '2001:db8:1234:5678:11:2233:4455:6677', port: 443 }
  t.same(decodeAddress(encodeAddress(v6)), v6)
})

t.test('an unknown family is ERR_STUN_ADDRESS_FAMILY', async (t) => {
  t.throws(() => decodeAddress(Buffer.from('0000000001020304', 'hex')), { code: 'ERR_STUN_ADDRESS_FAMILY' })
})
