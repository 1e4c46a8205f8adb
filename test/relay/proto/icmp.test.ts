import t from 'tap'
import { decodeIcmp, encodeIcmp } from '../../../relay/proto/icmp.js'

t.test('ICMP carries a 7-bit type, a code and 32 bits of error data', async (t) => {
  const v = encodeIcmp({ type: 3, code: 4, errorData: 1400 })
  t.equal(v.toString('hex'), '0000030400000578', 'destination unreachable, fragmentation needed, MTU 1400')
  t.same(decodeIcmp(v), { type: 3, code: 4, errorData: 1400 })
  t.same(decodeIcmp(Buffer.from('ff80810200000000', 'hex')), { type: 1, code: 2, errorData: 0 }, 'reserved bits are ignored')
})

t.test('out-of-range types and wrong sizes are refused', async (t) => {
  t.throws(() => encodeIcmp({ type: 128, code: 0, errorData: 0 }), RangeError)
  t.throws(() => decodeIcmp(Buffer.alloc(4)), { code: 'ERR_STUN_BAD_ATTRIBUTE' })
})
