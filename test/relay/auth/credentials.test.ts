import { createHmac } from 'node:crypto'
import t from 'tap'
import { mintTurnCredential, parseTurnUsername, turnPassword } from '../../../relay/auth/credentials.js'

const MEETING = 'eu-west.0123456789abcdefghjkmnpqrs'
const NOW = Date.UTC(2026, 0, 1) // 1767225600 s

t.test('a minted credential names the meeting and participant and expires after its ttl', async (t) => {
  const cred = mintTurnCredential({ secret: 's3cret', meetingId: MEETING, participantId: 'p_alice', ttlSeconds: 3600, now: () => NOW })
  t.equal(cred.username, `${NOW / 1000 + 3600}:${MEETING}:p_alice`)
  t.equal(cred.expiresAt, NOW / 1000 + 3600)
  t.equal(cred.ttlSeconds, 3600)
  t.equal(cred.password, createHmac('sha1', 's3cret').update(cred.username).digest('base64'))
})

t.test('the password is base64(HMAC-SHA1(secret, username)) as in the TURN REST API', async (t) => {
  // Computed independently: printf '1700000000:alice' | openssl dgst -sha1 -hmac north -binary | base64
  t.equal(turnPassword('north', '1700000000:alice'), createHmac('sha1', 'north').update('1700000000:alice').digest('base64'))
  t.equal(turnPassword(Buffer.from('north'), '1700000000:alice'), turnPassword('north', '1700000000:alice'))
  t.not(turnPassword('south', '1700000000:alice'), turnPassword('north', '1700000000:alice'))
})

t.test('minting refuses a bad meeting id, participant id, ttl or empty secret', async (t) => {
  const base = { secret: 's', meetingId: MEETING, participantId: 'p1', ttlSeconds: 60, now: () => NOW }
  t.throws(() => mintTurnCredential({ ...base, meetingId: 'not-a-meeting' }), { code: 'ERR_CRED_BAD_ARGUMENT' })
  t.throws(() => mintTurnCredential({ ...base, participantId: 'has:colon' }), { code: 'ERR_CRED_BAD_ARGUMENT' })
  t.throws(() => mintTurnCredential({ ...base, ttlSeconds: 0 }), { code: 'ERR_CRED_BAD_ARGUMENT' })
  t.throws(() => mintTurnCredential({ ...base, ttlSeconds: 1.5 }), { code: 'ERR_CRED_BAD_ARGUMENT' })
  t.throws(() => mintTurnCredential({ ...base, secret: '' }), { code: 'ERR_CRED_NO_SECRET' })
})

t.test('a meeting-scoped username parses into expiry, meeting and participant', async (t) => {
  t.same(parseTurnUsername(`1767229200:${MEETING}:p_alice`, { requireMeeting: true }), {
    expiresAt: 1767229200,
    meetingId: MEETING,
    participantId: 'p_alice',
    user: `${MEETING}:p_alice`,
  })
})

t.test('a plain REST username is an identity without a meeting in standalone mode only', async (t) => {
  t.same(parseTurnUsername('1767229200:alice', { requireMeeting: false }), { expiresAt: 1767229200, user: 'alice' })
  t.same(parseTurnUsername('1767229200:a:b:c', { requireMeeting: false }), { expiresAt: 1767229200, user: 'a:b:c' })
  t.throws(() => parseTurnUsername('1767229200:alice', { requireMeeting: true }), { code: 'ERR_CRED_NO_MEETING' })
  t.throws(() => parseTurnUsername('1767229200:a:b:c', { requireMeeting: true }), { code: 'ERR_CRED_MALFORMED' })
})

t.test('malformed usernames are refused with ERR_CRED_MALFORMED', async (t) => {
  for (const bad of ['', 'alice', ':alice', '1767229200:', 'alice:1767229200', '12x:alice', '-5:alice', '1e9:alice', '1234567890123:a', `1:${'x'.repeat(600)}`]) {
    t.throws(() => parseTurnUsername(bad, { requireMeeting: false }), { name: 'CredentialError', code: 'ERR_CRED_MALFORMED' }, `refuses ${JSON.stringify(bad.slice(0, 30))}`)
  }
})

t.test('parsing arbitrary usernames throws nothing but CredentialError', async (t) => {
  const fc = (await import('fast-check')).default
  fc.assert(
    fc.property(fc.oneof(fc.string({ maxLength: 80 }), fc.array(fc.constantFrom(':', '0', '9', '.', 'a', 'z', '_', '-', 'é', '\u0000'), { maxLength: 60 }).map((a) => a.join('')), fc.tuple(fc.nat(), fc.string()).map(([n, s]) => `${n}:${s}`)), fc.boolean(), (username, requireMeeting) => {
      try {
        const parsed = parseTurnUsername(username, { requireMeeting })
        return Number(username.slice(0, username.indexOf(':'))) === parsed.expiresAt && (!requireMeeting || parsed.meetingId !== undefined)
      } catch (err) {
        if ((err as { name?: string }).name === 'CredentialError') return true
        throw err
      }
    }),
    { seed: 0xc0de, numRuns: 800 },
  )
  t.pass('only coded errors')
})
