import t from 'tap'
import { SignJWT } from 'jose'

import { isSovereignError } from '../../../control-plane/errors.js'
import { mintParticipantToken, verifyParticipantToken } from '../../../control-plane/tokens/participant-token.js'

const MEETING = 'eu-west.0123456789abcdefghjkmnpqrs'
const OTHER_MEETING = 'eu-west.zzzzzzzzzzzzzzzzzzzzzzzzzz'
const SECRETS: Record<string, string> = { acme: 'acme-secret-0123456789abcdef', globex: 'globex-secret-0123456789abcd' }
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0)
let clock = T0
const now = () => clock
const verifyOpts = { secretFor: (tenant: string) => SECRETS[tenant], now }

const mint = (extra: Partial<Parameters<typeof mintParticipantToken>[0]> = {}) =>
  mintParticipantToken({ tenantId: 'acme', secret: SECRETS.acme!, meetingId: MEETING, identity: 'alice', role: 'host', now, ...extra })

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p
    return 'resolved'
  } catch (err) {
    return isSovereignError(err) ? err.code : `foreign: ${String(err)}`
  }
}

t.beforeEach(() => { clock = T0 })

t.test('a minted token verifies and carries meeting, identity, role and capabilities', async (t) => {
  const token = await mint({ displayName: 'Alice A.', capabilities: ['screenShare', 'screenShare', 'recording'], jti: 'j-1' })
  const claims = await verifyParticipantToken(token, { ...verifyOpts, meetingId: MEETING })
  t.same(claims, {
    tenantId: 'acme', meetingId: MEETING, identity: 'alice', displayName: 'Alice A.', role: 'host',
    capabilities: ['screenShare', 'recording'], issuedAt: T0 / 1000, expiresAt: T0 / 1000 + 600, jti: 'j-1',
  })
})

t.test('the default lifetime is ten minutes and expiry is enforced against the injected clock', async (t) => {
  const token = await mint()
  clock = T0 + 600_000 + 4_000
  t.equal((await verifyParticipantToken(token, verifyOpts)).identity, 'alice', 'inside the 5 s tolerance')
  clock = T0 + 600_000 + 6_000
  t.equal(await codeOf(verifyParticipantToken(token, verifyOpts)), 'SR_TOKEN_EXPIRED')
})

t.test('lifetimes above 24 hours or below one second cannot be minted', async (t) => {
  t.equal(await codeOf(mint({ ttlSeconds: 24 * 3600 + 1 })), 'SR_TOKEN_TTL_INVALID')
  t.equal(await codeOf(mint({ ttlSeconds: 0 })), 'SR_TOKEN_TTL_INVALID')
  t.equal(await codeOf(mint({ ttlSeconds: 24 * 3600 })), 'resolved')
})

t.test('a tampered payload fails the signature check', async (t) => {
  const [h, p, s] = (await mint({ role: 'attendee' })).split('.')
  const payload = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>
  payload.role = 'host'
  const forged = [h, Buffer.from(JSON.stringify(payload)).toString('base64url'), s].join('.')
  t.equal(await codeOf(verifyParticipantToken(forged, verifyOpts)), 'SR_TOKEN_BAD_SIGNATURE')
})

t.test('a token signed with another tenant\'s secret under this tenant\'s name is refused', async (t) => {
  const token = await mint({ secret: SECRETS.globex! })
  t.equal(await codeOf(verifyParticipantToken(token, verifyOpts)), 'SR_TOKEN_BAD_SIGNATURE')
})

t.test('a token from an unknown tenant is refused before any crypto', async (t) => {
  const token = await mint({ tenantId: 'initech', secret: 'whatever-secret-123' })
  t.equal(await codeOf(verifyParticipantToken(token, verifyOpts)), 'SR_TOKEN_UNKNOWN_TENANT')
})

t.test('a token for another meeting is refused when the meeting is known', async (t) => {
  const token = await mint({ meetingId: OTHER_MEETING })
  t.equal(await codeOf(verifyParticipantToken(token, { ...verifyOpts, meetingId: MEETING })), 'SR_TOKEN_WRONG_MEETING')
})

t.test('a token for another audience is refused', async (t) => {
  const key = new TextEncoder().encode(SECRETS.acme)
  const token = await new SignJWT({ mid: MEETING, role: 'host' }).setProtectedHeader({ alg: 'HS256' })
    .setIssuer('acme').setSubject('alice').setAudience('someone-else').setIssuedAt(T0 / 1000).setExpirationTime(T0 / 1000 + 60).setJti('j')
    .sign(key)
  t.equal(await codeOf(verifyParticipantToken(token, verifyOpts)), 'SR_TOKEN_WRONG_AUDIENCE')
})

t.test('a correctly signed token with an invalid role is refused', async (t) => {
  const key = new TextEncoder().encode(SECRETS.acme)
  const token = await new SignJWT({ mid: MEETING, role: 'admin' }).setProtectedHeader({ alg: 'HS256' })
    .setIssuer('acme').setSubject('alice').setAudience('sovereign-relay').setIssuedAt(T0 / 1000).setExpirationTime(T0 / 1000 + 60).setJti('j')
    .sign(key)
  t.equal(await codeOf(verifyParticipantToken(token, verifyOpts)), 'SR_TOKEN_CLAIMS_INVALID')
})

t.test('a hand-made token living longer than 24 hours is refused', async (t) => {
  const key = new TextEncoder().encode(SECRETS.acme)
  const token = await new SignJWT({ mid: MEETING, role: 'host' }).setProtectedHeader({ alg: 'HS256' })
    .setIssuer('acme').setSubject('alice').setAudience('sovereign-relay').setIssuedAt(T0 / 1000).setExpirationTime(T0 / 1000 + 90_000).setJti('j')
    .sign(key)
  t.equal(await codeOf(verifyParticipantToken(token, verifyOpts)), 'SR_TOKEN_CLAIMS_INVALID')
})

t.test('an unsigned alg:none token is treated as a forgery', async (t) => {
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')
  const token = `${enc({ alg: 'none' })}.${enc({ iss: 'acme', sub: 'alice', aud: 'sovereign-relay', mid: MEETING, role: 'host', iat: T0 / 1000, exp: T0 / 1000 + 60, jti: 'j' })}.`
  t.equal(await codeOf(verifyParticipantToken(token, verifyOpts)), 'SR_TOKEN_BAD_SIGNATURE')
})

t.test('garbage and empty tokens have their own codes', async (t) => {
  t.equal(await codeOf(verifyParticipantToken('not-a-jwt', verifyOpts)), 'SR_TOKEN_MALFORMED')
  t.equal(await codeOf(verifyParticipantToken('', verifyOpts)), 'SR_TOKEN_MISSING')
})

t.test('a token issued beyond the clock skew in the future is not yet valid, however short its lifetime', async (t) => {
  // Minted by a backend whose clock says ten years from now, valid for an hour from then.
  const tenYears = 10 * 365 * 24 * 3600 * 1000
  const future = await mint({ now: () => T0 + tenYears, ttlSeconds: 3600 })
  t.equal(await codeOf(verifyParticipantToken(future, verifyOpts)), 'SR_TOKEN_NOT_YET_VALID')
  const twoMinutesAhead = await mint({ now: () => T0 + 120_000 })
  t.equal(await codeOf(verifyParticipantToken(twoMinutesAhead, verifyOpts)), 'SR_TOKEN_NOT_YET_VALID', 'the default skew is 60 s')
  t.equal(await codeOf(verifyParticipantToken(twoMinutesAhead, { ...verifyOpts, maxIssuedAtSkewSeconds: 180 })), 'resolved', 'the skew is configurable')
  const skewed = await mint({ now: () => T0 + 59_000 })
  t.equal(await codeOf(verifyParticipantToken(skewed, verifyOpts)), 'resolved', 'a backend clock 59 s ahead is tolerated')
})
