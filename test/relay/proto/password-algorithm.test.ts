import t from 'tap'
import { Attr } from '../../../relay/proto/constants.js'
import { decodeMessage, getAttribute } from '../../../relay/proto/message.js'
import {
  PasswordAlgorithm,
  decodePasswordAlgorithm,
  decodePasswordAlgorithms,
  encodePasswordAlgorithm,
  encodePasswordAlgorithms,
} from '../../../relay/proto/password-algorithm.js'
import { loadHex } from '../testdata/hex.js'

t.test('PASSWORD-ALGORITHM in the RFC 8489 B.1 request is SHA-256 without parameters', async (t) => {
  const msg = decodeMessage(loadHex('rfc8489-long-term-sha256-request'))
  const value = getAttribute(msg, Attr.PasswordAlgorithm)!.value
  t.same(decodePasswordAlgorithm(value), { algorithm: PasswordAlgorithm.SHA256, parameters: Buffer.alloc(0) })
  t.same(encodePasswordAlgorithm(PasswordAlgorithm.SHA256), value)
})

t.test('PASSWORD-ALGORITHMS lists entries each padded to four bytes', async (t) => {
  const list = [
    { algorithm: PasswordAlgorithm.SHA256, parameters: Buffer.alloc(0) },
    { algorithm: 0x7777, parameters: Buffer.from('abc') },
    { algorithm: PasswordAlgorithm.MD5, parameters: Buffer.alloc(0) },
  ]
  const encoded = encodePasswordAlgorithms(list)
  t.equal(encoded.toString('hex'), '00020000' + '77770003' + '61626300' + '00010000')
  t.same(decodePasswordAlgorithms(encoded), list)
})

t.test('truncated algorithm entries are coded errors', async (t) => {
  t.throws(() => decodePasswordAlgorithms(Buffer.from('000200', 'hex')), { code: 'ERR_STUN_BAD_ATTRIBUTE' })
  t.throws(() => decodePasswordAlgorithm(Buffer.from('00020008aabb', 'hex')), { code: 'ERR_STUN_BAD_ATTRIBUTE' })
})
