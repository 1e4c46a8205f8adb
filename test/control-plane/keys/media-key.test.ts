import t from 'tap'

import { generateParticipantKeyPair, openMediaKey } from '../../../control-plane/client/open-key.js'
import { isSovereignError } from '../../../control-plane/errors.js'
import { deriveRegionKek, openAtRest, sealAtRest } from '../../../control-plane/keys/at-rest.js'
import { generateMediaKey, rotateMediaKey } from '../../../control-plane/keys/media-key.js'
import { sealMediaKey } from '../../../control-plane/keys/seal-key.js'

const MEETING = 'eu-west.0123456789abcdefghjkmnpqrs'
const OTHER = 'eu-west.zzzzzzzzzzzzzzzzzzzzzzzzzz'
const kek = deriveRegionKek('kek-1', 'operator-secret-for-eu-west', 'eu-west')

function codeOf(fn: () => unknown): string {
  try {
    fn()
    return 'ok'
  } catch (err) {
    return isSovereignError(err) ? err.code : String(err)
  }
}

t.test('a media key is 32 random bytes at version 1', async (t) => {
  const a = generateMediaKey(MEETING)
  const b = generateMediaKey(MEETING)
  t.equal(a.key.length, 32)
  t.equal(a.version, 1)
  t.notSame(Buffer.from(a.key), Buffer.from(b.key))
})

t.test('rotation gives version + 1 and a fresh key', async (t) => {
  const v1 = generateMediaKey(MEETING)
  const v2 = rotateMediaKey(v1)
  t.equal(v2.version, 2)
  t.equal(v2.meetingId, MEETING)
  t.notSame(Buffer.from(v2.key), Buffer.from(v1.key))
  t.equal(rotateMediaKey(v2).version, 3)
})

t.test('a key sealed at rest opens under its KEK and meeting', async (t) => {
  const key = generateMediaKey(MEETING, 4)
  const stored = sealAtRest(key, kek)
  t.equal(stored.kekId, 'kek-1')
  t.notOk(JSON.stringify(stored).includes(Buffer.from(key.key).toString('base64url')), 'the key is not stored in clear')
  t.same(openAtRest(JSON.parse(JSON.stringify(stored)), MEETING, [kek]), key)
})

t.test('a stored key does not open for another meeting, another version, another KEK or after tampering', async (t) => {
  const stored = sealAtRest(generateMediaKey(MEETING, 1), kek)
  t.equal(codeOf(() => openAtRest(stored, OTHER, [kek])), 'SR_KEY_UNAVAILABLE', 'copied under another meeting')
  t.equal(codeOf(() => openAtRest({ ...stored, version: 2 }, MEETING, [kek])), 'SR_KEY_UNAVAILABLE', 'relabelled version')
  const otherRegionKek = deriveRegionKek('kek-1', 'operator-secret-for-eu-west', 'us-east')
  t.equal(codeOf(() => openAtRest(stored, MEETING, [otherRegionKek])), 'SR_KEY_UNAVAILABLE', 'another region\'s KEK')
  t.equal(codeOf(() => openAtRest({ ...stored, kekId: 'kek-0' }, MEETING, [kek])), 'SR_KEY_UNAVAILABLE', 'unknown KEK id')
  const ct = Buffer.from(stored.ct, 'base64url')
  ct[0] = ct[0]! ^ 1
  t.equal(codeOf(() => openAtRest({ ...stored, ct: ct.toString('base64url') }, MEETING, [kek])), 'SR_KEY_UNAVAILABLE', 'flipped bit')
})

t.test('KEKs rotate by overlap: an old KEK still opens what it sealed', async (t) => {
  const old = deriveRegionKek('kek-0', 'older-operator-secret', 'eu-west')
  const stored = sealAtRest(generateMediaKey(MEETING), old)
  t.equal(openAtRest(stored, MEETING, [kek, old]).version, 1)
})

t.test('an HPKE-sealed key opens for its participant and round-trips', async (t) => {
  const alice = await generateParticipantKeyPair()
  t.match(alice.publicKey, /^[A-Za-z0-9_-]{43}$/)
  const key = generateMediaKey(MEETING, 3)
  const sealed = await sealMediaKey(key, { participantId: 'p_alice', publicKey: alice.publicKey })
  const opened = await openMediaKey(sealed, { keyPair: alice.keyPair, meetingId: MEETING, version: 3, participantId: 'p_alice' })
  t.same(Buffer.from(opened), Buffer.from(key.key))
})

t.test('a sealed key does not open with the wrong private key or a different binding', async (t) => {
  const alice = await generateParticipantKeyPair()
  const mallory = await generateParticipantKeyPair()
  const sealed = await sealMediaKey(generateMediaKey(MEETING, 1), { participantId: 'p_alice', publicKey: alice.publicKey })
  const ctx = { keyPair: alice.keyPair, meetingId: MEETING, version: 1, participantId: 'p_alice' }
  await t.rejects(openMediaKey(sealed, { ...ctx, keyPair: mallory.keyPair }), { code: 'SR_KEY_UNAVAILABLE' }, 'another private key')
  await t.rejects(openMediaKey(sealed, { ...ctx, participantId: 'p_mallory' }), { code: 'SR_KEY_UNAVAILABLE' }, 'replayed to another participant')
  await t.rejects(openMediaKey(sealed, { ...ctx, meetingId: OTHER }), { code: 'SR_KEY_UNAVAILABLE' }, 'replayed in another meeting')
  await t.rejects(openMediaKey(sealed, { ...ctx, version: 2 }), { code: 'SR_KEY_UNAVAILABLE' }, 'presented as another version')
})

t.test('sealing to a malformed public key is a coded error', async (t) => {
  await t.rejects(sealMediaKey(generateMediaKey(MEETING), { participantId: 'p', publicKey: 'abc' }), { code: 'SR_PUBLIC_KEY_REQUIRED' })
})

t.test('after rotation a participant holding only the old key cannot open the new one', async (t) => {
  const bob = await generateParticipantKeyPair()
  const v1 = generateMediaKey(MEETING)
  const v2 = rotateMediaKey(v1)
  const sealedV2 = await sealMediaKey(v2, { participantId: 'p_bob', publicKey: bob.publicKey })
  const opened = await openMediaKey(sealedV2, { keyPair: bob.keyPair, meetingId: MEETING, version: 2, participantId: 'p_bob' })
  t.notSame(Buffer.from(opened), Buffer.from(v1.key))
  t.same(Buffer.from(opened), Buffer.from(v2.key))
})
