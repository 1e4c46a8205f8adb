import t from 'tap'
import { CredentialVerifier } from '../../../relay/auth/credential-verifier.js'
import { mintTurnCredential, turnPassword } from '../../../relay/auth/credentials.js'
import {
  Attr,
  MessageClass,
  Method,
  decodeMessage,
  encodeMessage,
  encodeNonce,
  encodeRealm,
  encodeUsername,
  longTermKey,
} from '../../../relay/proto/index.js'

const MEETING = 'eu-west.0123456789abcdefghjkmnpqrs'
const REALM = 'relay.example'
const T0 = Date.UTC(2026, 0, 1)

function signedRequest(username: string, password: string) {
  return decodeMessage(
    encodeMessage(
      {
        method: Method.Allocate,
        cls: MessageClass.Request,
        transactionId: Buffer.alloc(12, 7),
        attributes: [
          { type: Attr.Username, value: encodeUsername(username) },
          { type: Attr.Realm, value: encodeRealm(REALM) },
          { type: Attr.Nonce, value: encodeNonce('n') },
        ],
      },
      { integrityKey: longTermKey(username, REALM, password), fingerprint: true },
    ),
  )
}

function setup(opts: { secrets?: { id: string; value: string }[]; requireMeeting?: boolean; maxTtlSeconds?: number } = {}) {
  let now = T0
  const verifier = new CredentialVerifier({
    secrets: opts.secrets ?? [{ id: 'k1', value: 'first-secret' }],
    realm: REALM,
    requireMeeting: opts.requireMeeting ?? true,
    now: () => now,
    ...(opts.maxTtlSeconds === undefined ? {} : { maxTtlSeconds: opts.maxTtlSeconds }),
  })
  return { verifier, advance: (ms: number) => (now += ms) }
}

const mint = (secret: string, ttlSeconds = 600) =>
  mintTurnCredential({ secret, meetingId: MEETING, participantId: 'p_bob', ttlSeconds, now: () => T0 })

t.test('a request signed with a minted credential verifies and yields its identity and key', async (t) => {
  const { verifier } = setup()
  const cred = mint('first-secret')
  const verdict = verifier.verify(signedRequest(cred.username, cred.password), cred.username)
  if (!verdict.ok) throw t.fail(`refused: ${verdict.code}`)
  t.equal(verdict.secretId, 'k1')
  t.equal(verdict.password, cred.password)
  t.same(verdict.key, longTermKey(cred.username, REALM, cred.password))
  t.same(verdict.identity, { username: cred.username, expiresAt: cred.expiresAt, meetingId: MEETING, participantId: 'p_bob', user: `${MEETING}:p_bob` })
})

t.test('during rotation credentials signed with either secret verify and name their secret', async (t) => {
  const { verifier } = setup({ secrets: [{ id: 'new', value: 'new-secret' }, { id: 'old', value: 'old-secret' }] })
  for (const [secret, id] of [['new-secret', 'new'], ['old-secret', 'old']] as const) {
    const cred = mint(secret)
    const verdict = verifier.verify(signedRequest(cred.username, cred.password), cred.username)
    t.ok(verdict.ok && verdict.secretId === id, `a credential from ${id} verifies`)
  }
})

t.test('a credential signed with a retired or foreign secret is unknown', async (t) => {
  const { verifier } = setup({ secrets: [{ id: 'k1', value: 'first-secret' }] })
  const cred = mint('someone-elses-secret')
  t.same(verifier.verify(signedRequest(cred.username, cred.password), cred.username), { ok: false, code: 'ERR_CRED_UNKNOWN' })
  const rotated = setup({ secrets: [{ id: 'old', value: 'old-secret' }] }).verifier
  const old = mint('old-secret')
  t.ok(rotated.verify(signedRequest(old.username, old.password), old.username).ok)
  rotated.setSecrets([{ id: 'new', value: 'new-secret' }])
  t.same(rotated.verify(signedRequest(old.username, old.password), old.username), { ok: false, code: 'ERR_CRED_UNKNOWN' }, 'the cached key of a retired secret is forgotten')
})

t.test('a credential verifies through its expiry second and is expired after it', async (t) => {
  const { verifier, advance } = setup()
  const cred = mint('first-secret', 60)
  const req = signedRequest(cred.username, cred.password)
  t.ok(verifier.verify(req, cred.username).ok)
  advance(60_999)
  t.ok(verifier.verify(req, cred.username).ok, 'still valid in its expiry second')
  advance(1)
  t.same(verifier.verify(req, cred.username), { ok: false, code: 'ERR_CRED_EXPIRED' }, 'expired even though its key is cached')
})

t.test('an already-expired username is refused before any key is derived or cached', async (t) => {
  const { verifier } = setup()
  const username = `${T0 / 1000 - 1}:${MEETING}:p_bob`
  t.same(verifier.lookup(username), { ok: false, code: 'ERR_CRED_EXPIRED' })
  t.equal(verifier.cachedUsernames, 0)
})

t.test('malformed and meeting-less usernames are refused with their codes', async (t) => {
  const { verifier } = setup()
  t.same(verifier.lookup('alice'), { ok: false, code: 'ERR_CRED_MALFORMED' })
  t.same(verifier.lookup(`${T0 / 1000 + 60}:alice`), { ok: false, code: 'ERR_CRED_NO_MEETING' })
  const standalone = setup({ requireMeeting: false }).verifier
  const username = `${T0 / 1000 + 60}:alice`
  const verdict = standalone.verify(signedRequest(username, turnPassword('first-secret', username)), username)
  t.ok(verdict.ok && verdict.identity.meetingId === undefined && verdict.identity.user === 'alice', 'standalone accepts a plain REST username')
})

t.test('a credential expiring beyond the maximum ttl is refused', async (t) => {
  const { verifier } = setup({ maxTtlSeconds: 3600 })
  t.ok(verifier.lookup(mint('first-secret', 3600).username).ok)
  t.same(verifier.lookup(mint('first-secret', 3601).username), { ok: false, code: 'ERR_CRED_TTL_TOO_LONG' })
})

t.test('derived keys are cached per username so a repeat lookup returns the same candidates', async (t) => {
  const { verifier } = setup()
  const cred = mint('first-secret')
  const a = verifier.lookup(cred.username)
  const b = verifier.lookup(cred.username)
  t.ok(a.ok && b.ok && a.candidates === b.candidates)
  t.equal(verifier.cachedUsernames, 1)
})

t.test('the key cache is bounded and evicts the least recently used username', async (t) => {
  let now = T0
  const verifier = new CredentialVerifier({ secrets: [{ id: 'k', value: 'x' }], realm: REALM, requireMeeting: false, now: () => now, cacheSize: 3 })
  const names = ['a', 'b', 'c', 'd'].map((u) => `${T0 / 1000 + 60}:${u}`)
  const first = verifier.lookup(names[0]!)
  verifier.lookup(names[1]!)
  verifier.lookup(names[2]!)
  verifier.lookup(names[0]!) // a is now the most recent
  verifier.lookup(names[3]!) // evicts b
  t.equal(verifier.cachedUsernames, 3)
  const again = verifier.lookup(names[0]!)
  t.ok(first.ok && again.ok && first.candidates === again.candidates, 'a recently used entry survives')
})

t.test('secret sets with empty values or duplicate ids are refused', async (t) => {
  t.throws(() => setup({ secrets: [{ id: 'k', value: '' }] }), { code: 'ERR_CRED_NO_SECRET' })
  t.throws(() => setup({ secrets: [{ id: 'k', value: 'a' }, { id: 'k', value: 'b' }] }), { code: 'ERR_CRED_BAD_ARGUMENT' })
  t.same(setup({ secrets: [] }).verifier.lookup(mint('x').username), { ok: false, code: 'ERR_CRED_NO_SECRET' })
})
