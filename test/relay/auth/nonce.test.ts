import t from 'tap'
import { NONCE_COOKIE, NonceService, nonceSecurityFeatures } from '../../../relay/auth/nonce.js'

const KEY = 'nonce-key-0123456789abcdef'
const T0 = Date.UTC(2026, 0, 1)

t.test('a fresh nonce is valid on any process holding the same key', async (t) => {
  const a = new NonceService({ keys: [KEY], lifetimeSeconds: 600 })
  const b = new NonceService({ keys: [KEY], lifetimeSeconds: 600 })
  const nonce = a.issue(T0)
  t.equal(b.check(nonce, T0 + 1000), 'valid')
  t.ok(nonce.length < 128, 'a NONCE is shorter than 128 characters (RFC 8489 §14.10)')
  t.match(nonce, /^[A-Za-z0-9+/=_-]+$/, 'only characters that need no quoting')
})

t.test('a nonce is stale once its lifetime has passed', async (t) => {
  const s = new NonceService({ keys: [KEY], lifetimeSeconds: 600 })
  const nonce = s.issue(T0)
  t.equal(s.check(nonce, T0 + 599_999), 'valid')
  t.equal(s.check(nonce, T0 + 600_000), 'stale')
  t.equal(s.check(s.issue(T0 + 600_000), T0 + 600_000), 'valid', 'the fresh nonce sent with the 438 is valid')
})

t.test('a nonce signed with another key, or altered, is invalid', async (t) => {
  const s = new NonceService({ keys: [KEY] })
  const foreign = new NonceService({ keys: ['some-other-key-0123456789'] }).issue(T0)
  t.equal(s.check(foreign, T0), 'invalid')
  const nonce = s.issue(T0)
  const last = nonce.at(-1) === 'A' ? 'B' : 'A'
  t.equal(s.check(nonce.slice(0, -1) + last, T0), 'invalid', 'a changed MAC character')
  const body = Buffer.from(nonce.slice(13), 'base64url')
  body.writeUInt32BE(body.readUInt32BE(0) + 3600, 0)
  t.equal(s.check(nonce.slice(0, 13) + body.toString('base64url'), T0 + 3600_000), 'invalid', 'a moved timestamp')
  for (const junk of ['', 'x', NONCE_COOKIE, nonce + 'A', nonce.slice(0, -1) + '!', 'f//499k954d6OL34oL9FSTvy64sA']) {
    t.equal(s.check(junk, T0), 'invalid', `junk ${JSON.stringify(junk)}`)
  }
})

t.test('a nonce from further in the future than the allowed skew is invalid', async (t) => {
  const s = new NonceService({ keys: [KEY], maxSkewSeconds: 30 })
  t.equal(s.check(s.issue(T0 + 30_000), T0), 'valid')
  t.equal(s.check(s.issue(T0 + 31_000), T0), 'invalid')
})

t.test('nonce keys rotate by overlap', async (t) => {
  const old = new NonceService({ keys: ['old-key-0123456789abcdef'] })
  const rotated = new NonceService({ keys: ['new-key-0123456789abcdef', 'old-key-0123456789abcdef'] })
  t.equal(rotated.check(old.issue(T0), T0), 'valid', 'nonces from the old key still verify')
  t.equal(old.check(rotated.issue(T0), T0), 'invalid', 'new nonces are signed with the new key')
})

t.test('a nonce bound to a client address is invalid from another address', async (t) => {
  const s = new NonceService({ keys: [KEY], bindToClient: true })
  const nonce = s.issue(T0, '192.0.2.1:5000')
  t.equal(s.check(nonce, T0, '192.0.2.1:5000'), 'valid')
  t.equal(s.check(nonce, T0, '192.0.2.1:5001'), 'invalid')
  t.throws(() => s.issue(T0), RangeError, 'a bound service needs the address')
})

t.test('nonces carry the RFC 8489 cookie with the configured security features', async (t) => {
  const plain = new NonceService({ keys: [KEY] }).issue(T0)
  t.ok(plain.startsWith('obMatJos2AAAA'))
  t.same(nonceSecurityFeatures(plain), { passwordAlgorithms: false, usernameAnonymity: false })
  const both = new NonceService({ keys: [KEY], securityFeatures: { passwordAlgorithms: true, usernameAnonymity: true } }).issue(T0)
  t.ok(both.startsWith('obMatJos2wAAA'))
  t.same(nonceSecurityFeatures(both), { passwordAlgorithms: true, usernameAnonymity: true })
  t.same(nonceSecurityFeatures('obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA'), { passwordAlgorithms: false, usernameAnonymity: false }, 'the RFC 8489 B.1 nonce parses')
  t.equal(nonceSecurityFeatures('f//499k954d6OL34oL9FSTvy64sA'), undefined)
  const bare = new NonceService({ keys: [KEY], cookie: false })
  t.notOk(bare.issue(T0).startsWith(NONCE_COOKIE))
  t.equal(bare.check(bare.issue(T0), T0), 'valid')
})

t.test('the feature bits are covered by the MAC so they cannot be bid down', async (t) => {
  const s = new NonceService({ keys: [KEY], securityFeatures: { passwordAlgorithms: true } })
  const nonce = s.issue(T0)
  t.ok(nonce.startsWith('obMatJos2gAAA'))
  t.equal(s.check('obMatJos2AAAA' + nonce.slice(13), T0), 'invalid')
})

t.test('short nonce keys are refused', async (t) => {
  t.throws(() => new NonceService({ keys: ['short'] }), RangeError)
  t.throws(() => new NonceService({ keys: [] }), RangeError)
})

t.test('checking arbitrary strings never throws and never says valid', async (t) => {
  const fc = (await import('fast-check')).default
  const s = new NonceService({ keys: [KEY] })
  const real = s.issue(T0)
  fc.assert(
    fc.property(fc.oneof(fc.string({ maxLength: 60 }), fc.string({ minLength: 22, maxLength: 22 }).map((x) => real.slice(0, 13) + x)), (nonce) => nonce === real || s.check(nonce, T0) === 'invalid'),
    { seed: 0xc0de, numRuns: 800 },
  )
  t.pass('forgery by chance did not happen')
})
