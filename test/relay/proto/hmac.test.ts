import { createHmac, randomBytes } from 'node:crypto'
import t from 'tap'
import { HmacKey, hmac, hmacKey } from '../../../relay/proto/hmac.js'

const ALGORITHMS = ['sha1', 'sha256'] as const
// Every padding case: empty, one byte, the last length that pads in one block (55), the
// first that needs two (56), a block less one, a block, a block plus one, several blocks.
const LENGTHS = [0, 1, 3, 55, 56, 63, 64, 65, 119, 120, 127, 128, 129, 200, 1000]

t.test('HMAC equals node:crypto at every padding boundary, two keys interleaved (the shared scratch state never carries over)', async (t) => {
  for (const name of ALGORITHMS) {
    const rawA = randomBytes(20)
    const rawB = randomBytes(32)
    const a = new HmacKey(name, rawA)
    const b = new HmacKey(name, rawB)
    for (const n of LENGTHS) {
      const data = randomBytes(n)
      t.same(a.mac(data), createHmac(name, rawA).update(data).digest(), `${name}, key A, ${n} bytes`)
      t.same(b.mac(data), createHmac(name, rawB).update(data).digest(), `${name}, key B, ${n} bytes`)
      t.same(a.mac(data), createHmac(name, rawA).update(data).digest(), `${name}, key A again, ${n} bytes`)
    }
  }
})

t.test('an HMAC of pieces equals that of the whole', async (t) => {
  for (const name of ALGORITHMS) {
    const data = randomBytes(300)
    for (const cut of [[1, 2], [63, 64], [10, 140], [0, 300], [64, 128]] as const) {
      const parts = [data.subarray(0, cut[0]), data.subarray(cut[0], cut[1]), data.subarray(cut[1])]
      const key = randomBytes(20)
      t.same(new HmacKey(name, key).mac(...parts), createHmac(name, key).update(data).digest(), `HMAC-${name} cut at ${cut.join(', ')}`)
    }
  }
})

t.test('HMAC equals node:crypto for short, block-sized and long keys', async (t) => {
  for (const name of ALGORITHMS) {
    for (const keyLength of [0, 1, 16, 20, 32, 63, 64, 65, 100, 200]) {
      for (const n of [0, 20, 64, 100, 333]) {
        const key = randomBytes(keyLength)
        const data = randomBytes(n)
        const expected = createHmac(name, key).update(data).digest()
        t.same(new HmacKey(name, key).mac(data), expected, `${name}, ${keyLength}-byte key, ${n} bytes`)
        t.same(hmac(name, key, data), expected, `${name} through the recent-key window`)
      }
    }
  }
})

t.test('RFC 2202 and RFC 4231 test case 2 ("Jefe")', async (t) => {
  const data = Buffer.from('what do ya want for nothing?')
  t.equal(hmac('sha1', Buffer.from('Jefe'), data).toString('hex'), 'effcdf6ae5eb2fa2d27416d5f184df9c259a7c79')
  t.equal(hmac('sha256', Buffer.from('Jefe'), data).toString('hex'), '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843')
})

t.test('the recent-key window is keyed by the key bytes, not by the buffer', async (t) => {
  const data = Buffer.from('a STUN message')
  const key = Buffer.alloc(16, 1)
  const first = hmac('sha1', key, data)
  // Same buffer, new contents: must not answer with the old key's pads.
  key.fill(2)
  t.same(hmac('sha1', key, data), createHmac('sha1', Buffer.alloc(16, 2)).update(data).digest())
  t.notSame(hmac('sha1', key, data), first)
  // Same bytes under the other algorithm are another key.
  t.not(hmacKey('sha1', key), hmacKey('sha256', key))
  t.equal(hmacKey('sha1', Buffer.alloc(16, 2)), hmacKey('sha1', key), 'equal bytes share pads')
})

t.test('keys evicted from the recent-key window still give the right HMAC', async (t) => {
  const data = Buffer.from('x')
  const keys = Array.from({ length: 1000 }, (_, i) => Buffer.from(`key-${i}`))
  for (const k of keys) hmac('sha1', k, data)
  for (const k of [keys[0]!, keys[500]!, keys[999]!]) t.same(hmac('sha1', k, data), createHmac('sha1', k).update(data).digest())
})
