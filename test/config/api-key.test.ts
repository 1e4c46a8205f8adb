import t from 'tap'

import { apiKeyMatches, generateApiKey, hashApiKey, looksLikeApiKey, sha256Equal } from '../../config/api-key.js'

t.test('generated keys carry their kind and 256 random bits', async (t) => {
  const live = generateApiKey()
  t.match(live, /^sk_live_[A-Za-z0-9_-]{43}$/)
  t.match(generateApiKey('admin'), /^sk_admin_/)
  t.match(generateApiKey('test'), /^sk_test_/)
  t.ok(looksLikeApiKey(live))
  t.notOk(looksLikeApiKey('sk_live_short'))
  const many = new Set(Array.from({ length: 200 }, () => generateApiKey()))
  t.equal(many.size, 200, 'no repeats')
})

t.test('the hash is the lower-case hex SHA-256 of the key', async (t) => {
  // printf %s abc | sha256sum
  t.equal(hashApiKey('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
})

t.test('a key matches only its own hash', async (t) => {
  const key = generateApiKey()
  const hash = hashApiKey(key)
  t.ok(apiKeyMatches(key, hash))
  t.notOk(apiKeyMatches(`${key}x`, hash))
  t.notOk(apiKeyMatches(key, hash.toUpperCase()), 'hashes are lower-case hex')
  t.notOk(apiKeyMatches(key, hash.slice(0, 63)), 'a truncated hash does not throw and does not match')
})

t.test('hash comparison refuses anything that is not a SHA-256 hex digest', async (t) => {
  const hash = hashApiKey('a')
  t.ok(sha256Equal(hash, hashApiKey('a')))
  t.notOk(sha256Equal(hash, hashApiKey('b')))
  t.notOk(sha256Equal('', ''))
  t.notOk(sha256Equal('zz'.repeat(32), 'zz'.repeat(32)))
})
