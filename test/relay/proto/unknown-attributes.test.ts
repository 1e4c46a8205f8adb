import t from 'tap'
import { Attr } from '../../../relay/proto/constants.js'
import { decodeMessage, encodeMessage } from '../../../relay/proto/message.js'
import { decodeUnknownAttributes, encodeUnknownAttributes, unknownComprehensionRequired } from '../../../relay/proto/unknown-attributes.js'

t.test('UNKNOWN-ATTRIBUTES is a list of 16-bit types', async (t) => {
  t.equal(encodeUnknownAttributes([0x0024, 0x7fff]).toString('hex'), '00247fff')
  t.same(decodeUnknownAttributes(Buffer.from('00247fff', 'hex')), [0x24, 0x7fff])
  t.throws(() => decodeUnknownAttributes(Buffer.from('002', 'hex').subarray(0, 1)), { code: 'ERR_STUN_BAD_ATTRIBUTE' })
})

t.test('only unknown comprehension-required attributes are reported, once each', async (t) => {
  const msg = decodeMessage(
    encodeMessage({
      method: 3,
      cls: 0,
      transactionId: Buffer.alloc(12),
      attributes: [
        { type: Attr.Lifetime, value: Buffer.alloc(4) },
        { type: 0x0030, value: Buffer.alloc(0) },
        { type: 0x0030, value: Buffer.alloc(0) },
        { type: 0x8030, value: Buffer.alloc(0) },
      ],
    }),
  )
  t.same(unknownComprehensionRequired(msg, new Set([Attr.Lifetime])), [0x0030])
})
