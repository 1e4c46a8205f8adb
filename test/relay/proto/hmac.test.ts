import { createHash, createHmac, randomBytes } from 'node:crypto'
import t from 'tap'
import { loadEngine } from '../../../relay/native/index.js'
import { loadNativeCrypto } from '../../../relay/native/crypto.js'
import { HMAC_IMPLEMENTATION, HMAC_IMPLEMENTATIONS, HmacKey, hmac, hmacKey } from '../../../relay/proto/hmac.js'
import { textDigest } from '../../../relay/proto/text-digest.js'

const ALGORITHMS = ['sha1', 'sha256'] as const
// Every padding case: empty, one byte, the last length that pads in one block (55), the
// first that needs two (56), a block less one, a block, a block plus one, several blocks.
const LENGTHS = [0, 1, 3, 55, 56, 63, 64, 65, 119, 120, 127, 128, 129, 200, 1000]

t.test('where the native engine loads, the HMAC runs on its OpenSSL too (both implementations are tested below)', { skip: loadEngine().ok ? false : 'no addon' }, async (t) => {
  t.same(HMAC_IMPLEMENTATIONS, ['native', 'noble'])
  t.equal(HMAC_IMPLEMENTATION, 'native')
  t.match(loadNativeCrypto()!.openssl, /^OpenSSL 3\./)
})

for (const impl of HMAC_IMPLEMENTATIONS) {
  t.test(`${impl}: HMAC equals node:crypto at every padding boundary, two keys interleaved (no state carries over)`, async (t) => {
    for (const name of ALGORITHMS) {
      const rawA = randomBytes(20)
      const rawB = randomBytes(32)
      const a = new HmacKey(name, rawA, impl)
      const b = new HmacKey(name, rawB, impl)
      for (const n of LENGTHS) {
        const data = randomBytes(n)
        t.same(a.mac(data), createHmac(name, rawA).update(data).digest(), `${name}, key A, ${n} bytes`)
        t.same(b.mac(data), createHmac(name, rawB).update(data).digest(), `${name}, key B, ${n} bytes`)
        t.same(a.mac(data), createHmac(name, rawA).update(data).digest(), `${name}, key A again, ${n} bytes`)
      }
    }
  })

  t.test(`${impl}: an HMAC of pieces equals that of the whole`, async (t) => {
    for (const name of ALGORITHMS) {
      const data = randomBytes(300)
      for (const cut of [[1, 2], [63, 64], [10, 140], [0, 300], [64, 128]] as const) {
        const parts = [data.subarray(0, cut[0]), data.subarray(cut[0], cut[1]), data.subarray(cut[1])]
        const key = randomBytes(20)
        t.same(new HmacKey(name, key, impl).mac(...parts), createHmac(name, key).update(data).digest(), `HMAC-${name} cut at ${cut.join(', ')}`)
      }
    }
  })

  t.test(`${impl}: HMAC equals node:crypto for short, block-sized and long keys`, async (t) => {
    for (const name of ALGORITHMS) {
      for (const keyLength of [0, 1, 16, 20, 32, 63, 64, 65, 100, 200]) {
        for (const n of [0, 20, 64, 100, 333]) {
          const key = randomBytes(keyLength)
          const data = randomBytes(n)
          const expected = createHmac(name, key).update(data).digest()
          t.same(new HmacKey(name, key, impl).mac(data), expected, `${name}, ${keyLength}-byte key, ${n} bytes`)
          t.same(hmac(name, key, data, impl), expected, `${name} through hmac()`)
        }
      }
    }
  })

  t.test(`${impl}: RFC 2202 and RFC 4231 test case 2 ("Jefe")`, async (t) => {
    const data = Buffer.from('what do ya want for nothing?')
    t.equal(hmac('sha1', Buffer.from('Jefe'), data, impl).toString('hex'), 'effcdf6ae5eb2fa2d27416d5f184df9c259a7c79')
    t.equal(hmac('sha256', Buffer.from('Jefe'), data, impl).toString('hex'), '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843')
  })

  t.test(`${impl}: a key is copied when made, so changing the caller's buffer afterwards changes nothing`, async (t) => {
    const raw = Buffer.alloc(16, 3)
    const key = new HmacKey('sha1', raw, impl)
    raw.fill(4)
    t.same(key.mac(Buffer.from('m')), createHmac('sha1', Buffer.alloc(16, 3)).update('m').digest())
  })
}

t.test('noble: the recent-key window is keyed by the key bytes, not by the buffer', async (t) => {
  const data = Buffer.from('a STUN message')
  const key = Buffer.alloc(16, 1)
  const first = hmac('sha1', key, data, 'noble')
  // Same buffer, new contents: must not answer with the old key's pads.
  key.fill(2)
  t.same(hmac('sha1', key, data, 'noble'), createHmac('sha1', Buffer.alloc(16, 2)).update(data).digest())
  t.notSame(hmac('sha1', key, data, 'noble'), first)
  // Same bytes under the other algorithm are another key.
  t.not(hmacKey('sha1', key, 'noble'), hmacKey('sha256', key, 'noble'))
  t.equal(hmacKey('sha1', Buffer.alloc(16, 2), 'noble'), hmacKey('sha1', key, 'noble'), 'equal bytes share pads')
})

t.test('noble: keys evicted from the recent-key window still give the right HMAC', async (t) => {
  const data = Buffer.from('x')
  const keys = Array.from({ length: 1000 }, (_, i) => Buffer.from(`key-${i}`))
  for (const k of keys) hmac('sha1', k, data, 'noble')
  for (const k of [keys[0]!, keys[500]!, keys[999]!]) t.same(hmac('sha1', k, data, 'noble'), createHmac('sha1', k).update(data).digest())
})

t.test('a text digest (the long-term key) equals node:crypto\'s on every implementation, for ASCII, non-ASCII and long texts', async (t) => {
  const texts = ['', 'user:realm:pass', 'ünïcødé:réalm:pässwörd 🔑', 'x'.repeat(1365), 'y'.repeat(5000), '€'.repeat(2000)]
  for (const impl of ['native', 'node'] as const) {
    for (const algorithm of ['md5', 'sha256'] as const) {
      for (const text of texts) {
        t.same(textDigest(algorithm, text, impl), createHash(algorithm).update(text, 'utf8').digest(), `${impl} ${algorithm}, ${text.length} chars`)
      }
    }
  }
})

t.test('the native functions refuse what they cannot take with a TypeError, not a crash', { skip: loadNativeCrypto() ? false : 'no addon' }, async (t) => {
  const c = loadNativeCrypto()!
  const anyC = c as unknown as Record<string, (...args: unknown[]) => unknown>
  t.throws(() => anyC.hmacInto!(Buffer.alloc(32), 0), TypeError, 'too few arguments')
  t.throws(() => anyC.hmacInto!(Buffer.alloc(32), 0, 'key'), TypeError, 'a key that is not bytes')
  t.throws(() => anyC.hmacInto!(Buffer.alloc(32), 2, Buffer.alloc(1)), TypeError, 'MD5 is no HMAC algorithm here')
  t.throws(() => anyC.hmacInto!(Buffer.alloc(10), 0, Buffer.alloc(1)), TypeError, 'an output shorter than the digest')
  t.throws(() => anyC.hmacInto!(Buffer.alloc(32), 0, Buffer.alloc(1), new Uint16Array(2)), TypeError, 'a part that is not bytes')
  t.throws(() => anyC.hmacInto!(Buffer.alloc(32), 0, Buffer.alloc(1), ...Array.from({ length: 9 }, () => Buffer.alloc(1))), TypeError, 'more than eight parts')
  t.throws(() => anyC.digestInto!(Buffer.alloc(16), 7, 'x'), TypeError, 'an unknown algorithm')
  t.throws(() => anyC.digestInto!(Buffer.alloc(16), 2, 'z'.repeat(4096)), TypeError, 'a text over 4,095 bytes')
  t.throws(() => anyC.digestInto!(Buffer.alloc(16), 2, 42), TypeError, 'a text that is not a string')
})
