import t from 'tap'
import { decodeLifetime, encodeLifetime } from '../../../relay/proto/lifetime.js'

t.test('lifetimes are 32-bit seconds', async (t) => {
  t.equal(encodeLifetime(600).toString('hex'), '00000258')
  t.equal(decodeLifetime(encodeLifetime(0)), 0)
  t.equal(decodeLifetime(encodeLifetime(0xffffffff)), 0xffffffff)
  t.throws(() => encodeLifetime(-1), RangeError)
  t.throws(() => decodeLifetime(Buffer.alloc(3)), { code: 'ERR_STUN_BAD_ATTRIBUTE' })
})
