import t from 'tap'
import {
  decodeNonce,
  decodeRealm,
  decodeSoftware,
  decodeUsername,
  encodeNonce,
  encodeRealm,
  encodeSoftware,
  encodeUsername,
} from '../../../relay/proto/text-attributes.js'

t.test('text attributes round-trip UTF-8', async (t) => {
  t.equal(decodeUsername(encodeUsername('マトリックス')), 'マトリックス')
  t.equal(decodeRealm(encodeRealm('example.org')), 'example.org')
  t.equal(decodeNonce(encodeNonce('obMatJos2AAAA')), 'obMatJos2AAAA')
  t.equal(decodeSoftware(encodeSoftware('sovereign-relay 0.1')), 'sovereign-relay 0.1')
})

t.test('USERNAME must be fewer than 509 bytes', async (t) => {
  t.equal(decodeUsername(Buffer.alloc(508, 0x61)).length, 508)
  t.throws(() => decodeUsername(Buffer.alloc(509, 0x61)), { code: 'ERR_STUN_ATTR_TOO_LONG' })
  t.throws(() => encodeUsername('a'.repeat(509)), RangeError)
})

t.test('REALM, NONCE and SOFTWARE must be fewer than 128 characters', async (t) => {
  t.equal(decodeRealm(Buffer.from('é'.repeat(127))).length, 127, '127 two-byte characters fit')
  t.throws(() => decodeRealm(Buffer.from('a'.repeat(128))), { code: 'ERR_STUN_ATTR_TOO_LONG' })
  t.throws(() => decodeNonce(Buffer.alloc(764, 0x61)), { code: 'ERR_STUN_ATTR_TOO_LONG' })
  t.throws(() => decodeSoftware(Buffer.from('😀'.repeat(128))), { code: 'ERR_STUN_ATTR_TOO_LONG' }, 'characters, not UTF-16 units')
  t.equal(decodeSoftware(Buffer.from('😀'.repeat(127))).length, 254)
  t.throws(() => encodeNonce('n'.repeat(128)), RangeError)
})

t.test('invalid UTF-8 is a coded decode error', async (t) => {
  t.throws(() => decodeRealm(Buffer.from([0xc3, 0x28])), { code: 'ERR_STUN_BAD_ATTRIBUTE' })
})

t.test('ASCII text decodes as the UTF-8 decoder would, NULs and all, within the same limits', async (t) => {
  const ascii = Buffer.from(Array.from({ length: 127 }, (_, i) => i))
  t.equal(decodeRealm(ascii), new TextDecoder('utf-8', { fatal: true }).decode(ascii), 'every ASCII byte, 0x00 to 0x7e')
  t.equal(decodeRealm(Buffer.from('a'.repeat(127))).length, 127)
  t.throws(() => decodeNonce(Buffer.from('a'.repeat(128))), { code: 'ERR_STUN_ATTR_TOO_LONG' }, '128 ASCII characters are too many')
  t.equal(decodeUsername(Buffer.from('1700000000:m_x:p_y')), '1700000000:m_x:p_y')
  t.throws(() => decodeRealm(Buffer.from([0x61, 0x80])), { code: 'ERR_STUN_BAD_ATTRIBUTE' }, 'one byte above ASCII goes to the UTF-8 check')
})
