/**
 * Participant tokens: compact JWS (RFC 7515) JWTs (RFC 7519), HS256 under the tenant's
 * `tokenSecret`, minted by the tenant's backend (or our endpoint / `sovereign token mint`)
 * and verified by the home region's control plane on join.
 *
 *   iss = tenant id        aud = "sovereign-relay"    sub = participant identity
 *   mid = meeting id       name = display name        role = host | co-host | attendee
 *   caps = capabilities granted up front              iat / exp (≤ 24 h) / jti
 *
 * Time is injected (`now`, milliseconds) so tests move the clock by hand.
 */
import { randomUUID } from 'node:crypto'

import { Type, type Static } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { SignJWT, decodeJwt, errors as joseErrors, jwtVerify } from 'jose'

import { sovereignError } from '../errors.js'
import { Capability, DisplayName, MeetingId, Role, type CapabilityName, type RoleName } from '../protocol/common.js'
import type { ErrorCode } from '../protocol/error-codes.js'

export const TOKEN_AUDIENCE = 'sovereign-relay'
export const DEFAULT_TOKEN_TTL_SECONDS = 600
export const MAX_TOKEN_TTL_SECONDS = 24 * 60 * 60
const ALG = 'HS256'

export interface ParticipantClaims {
  readonly tenantId: string
  readonly meetingId: string
  readonly identity: string
  readonly displayName: string
  readonly role: RoleName
  readonly capabilities: readonly CapabilityName[]
  /** Unix seconds. */
  readonly issuedAt: number
  readonly expiresAt: number
  readonly jti: string
}

export interface MintOptions {
  readonly tenantId: string
  readonly secret: string | Uint8Array
  readonly meetingId: string
  readonly identity: string
  readonly displayName?: string
  readonly role: RoleName
  readonly capabilities?: readonly CapabilityName[]
  readonly ttlSeconds?: number
  readonly now?: () => number
  readonly jti?: string
}

export interface VerifyOptions {
  /** The tenant's token secret, or undefined when the tenant is unknown. */
  readonly secretFor: (tenantId: string) => string | Uint8Array | undefined
  readonly now: () => number
  /** When given, a token for any other meeting is refused with SR_TOKEN_WRONG_MEETING. */
  readonly meetingId?: string
  /** Accepted clock skew between the minting backend and us, for `exp` and `nbf`. */
  readonly clockToleranceSeconds?: number
  /**
   * How far in our future `iat` may lie (the minting backend's clock runs ahead of ours);
   * beyond it the token is refused with SR_TOKEN_NOT_YET_VALID. Default 60 s.
   */
  readonly maxIssuedAtSkewSeconds?: number
}

export const DEFAULT_MAX_ISSUED_AT_SKEW_SECONDS = 60

/** Our private claims, checked after the signature (the signature proves who wrote them, not that they are sane). */
const PrivateClaims = Type.Object({
  iss: Type.String({ pattern: '^[a-z][a-z0-9-]{0,30}[a-z0-9]$' }),
  sub: Type.String({ minLength: 1, maxLength: 128 }),
  mid: MeetingId,
  name: Type.Optional(DisplayName),
  role: Role,
  caps: Type.Optional(Type.Array(Capability, { maxItems: 3 })),
  iat: Type.Integer(),
  exp: Type.Integer(),
  jti: Type.String({ minLength: 1, maxLength: 128 }),
})
const checkClaims = TypeCompiler.Compile(PrivateClaims)
type PrivateClaimsShape = Static<typeof PrivateClaims>

const encoder = new TextEncoder()

/**
 * Importing the HMAC key is most of the cost of a verification; tenants are few and their
 * secrets already live in memory (the config), so imported keys are cached per secret.
 * Bounded, so a caller feeding ever-new secrets cannot grow it without limit.
 */
const KEY_CACHE_LIMIT = 1024
const keyCache = new Map<string, Promise<CryptoKey>>()

function keyOf(secret: string | Uint8Array): Promise<CryptoKey> {
  const importKey = (raw: Uint8Array) => crypto.subtle.importKey('raw', new Uint8Array(raw), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify'])
  if (typeof secret !== 'string') return importKey(secret)
  let key = keyCache.get(secret)
  if (key === undefined) {
    if (keyCache.size >= KEY_CACHE_LIMIT) keyCache.clear()
    key = importKey(encoder.encode(secret))
    keyCache.set(secret, key)
  }
  return key
}

export async function mintParticipantToken(opts: MintOptions): Promise<string> {
  const ttl = opts.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TOKEN_TTL_SECONDS) throw sovereignError('SR_TOKEN_TTL_INVALID', String(ttl))
  const iat = Math.floor((opts.now ?? Date.now)() / 1000)
  const claims = {
    mid: opts.meetingId,
    role: opts.role,
    name: opts.displayName ?? opts.identity.slice(0, 64),
    caps: [...new Set(opts.capabilities ?? [])],
  }
  const full = { ...claims, iss: opts.tenantId, sub: opts.identity, iat, exp: iat + ttl, jti: opts.jti ?? randomUUID() }
  if (!checkClaims.Check(full)) throw sovereignError('SR_TOKEN_CLAIMS_INVALID', firstError(full))
  return new SignJWT(claims)
    .setProtectedHeader({ alg: ALG, typ: 'JWT' })
    .setIssuer(opts.tenantId)
    .setSubject(opts.identity)
    .setAudience(TOKEN_AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttl)
    .setJti(full.jti)
    .sign(await keyOf(opts.secret))
}

/** Verifies signature, audience, time and claims; throws a catalogue error with a distinct code for each failure. */
export async function verifyParticipantToken(token: string, opts: VerifyOptions): Promise<ParticipantClaims> {
  if (token.length === 0) throw sovereignError('SR_TOKEN_MISSING')
  let unverified: ReturnType<typeof decodeJwt>
  try {
    unverified = decodeJwt(token)
  } catch {
    throw sovereignError('SR_TOKEN_MALFORMED')
  }
  if (typeof unverified.iss !== 'string') throw sovereignError('SR_TOKEN_CLAIMS_INVALID', 'iss missing')
  const secret = opts.secretFor(unverified.iss)
  if (secret === undefined) throw sovereignError('SR_TOKEN_UNKNOWN_TENANT')

  let payload: unknown
  try {
    ;({ payload } = await jwtVerify(token, await keyOf(secret), {
      algorithms: [ALG],
      audience: TOKEN_AUDIENCE,
      issuer: unverified.iss,
      currentDate: new Date(opts.now()),
      clockTolerance: opts.clockToleranceSeconds ?? 5,
      requiredClaims: ['exp', 'iat', 'sub', 'jti'],
    }))
  } catch (err) {
    throw sovereignError(codeOfJoseError(err))
  }
  if (!checkClaims.Check(payload)) throw sovereignError('SR_TOKEN_CLAIMS_INVALID', firstError(payload))
  const claims: PrivateClaimsShape = payload
  if (claims.exp - claims.iat > MAX_TOKEN_TTL_SECONDS) throw sovereignError('SR_TOKEN_CLAIMS_INVALID', 'lifetime over 24 h')
  // jose checks `iat` only against a maxTokenAge, so a token "issued" ten years ahead with
  // exp = iat + 1 h would pass and stay valid for ten years: refuse `iat` beyond the skew
  // (RFC 7519 §4.1.6 leaves the check to us).
  const skew = opts.maxIssuedAtSkewSeconds ?? DEFAULT_MAX_ISSUED_AT_SKEW_SECONDS
  if (claims.iat > Math.floor(opts.now() / 1000) + skew) throw sovereignError('SR_TOKEN_NOT_YET_VALID', `issued more than ${skew} s in the future`)
  if (opts.meetingId !== undefined && claims.mid !== opts.meetingId) throw sovereignError('SR_TOKEN_WRONG_MEETING')
  return {
    tenantId: claims.iss,
    meetingId: claims.mid,
    identity: claims.sub,
    displayName: claims.name ?? claims.sub.slice(0, 64),
    role: claims.role,
    capabilities: claims.caps ?? [],
    issuedAt: claims.iat,
    expiresAt: claims.exp,
    jti: claims.jti,
  }
}

function codeOfJoseError(err: unknown): ErrorCode {
  if (err instanceof joseErrors.JWTExpired) return 'SR_TOKEN_EXPIRED'
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'SR_TOKEN_BAD_SIGNATURE'
  // alg "none" or RS256 against an HMAC secret: treat as a forged signature, not as noise.
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'SR_TOKEN_BAD_SIGNATURE'
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return 'SR_TOKEN_WRONG_AUDIENCE'
    if (err.claim === 'nbf' || (err.claim === 'iat' && err.reason === 'check_failed')) return 'SR_TOKEN_NOT_YET_VALID'
    return 'SR_TOKEN_CLAIMS_INVALID'
  }
  if (err instanceof joseErrors.JOSEError) return 'SR_TOKEN_MALFORMED'
  throw err
}

function firstError(value: unknown): string {
  const first = checkClaims.Errors(value).First()
  return first ? `${first.path} ${first.message}` : 'invalid'
}
