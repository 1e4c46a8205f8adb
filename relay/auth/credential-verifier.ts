/**
 * Server side of TURN REST credentials: from a USERNAME to the long-term keys that may
 * have produced its MESSAGE-INTEGRITY (RFC 8489 §9.2.4 step 4–5).
 *
 * Rotation is by overlap: every configured secret yields a candidate; a message verifies
 * when any candidate's key does. The parsed identity and the derived keys (an HMAC and an
 * MD5 per secret) are cached per username in a bounded LRU, so a client's repeated
 * requests — Refresh, CreatePermission, ChannelBind — cost a map lookup, not hashing.
 * Expiry is checked against the injected clock on every call, cache hit or not.
 */
import { CredentialError } from '../errors.js'
import type { StunMessage } from '../proto/message.js'
import { longTermKey, verifyMessageIntegrity } from '../proto/message-integrity.js'
import type { HmacKey } from '../proto/hmac.js'
import { turnPasswordWith, turnSecretKey } from './credentials.js'
import { Lru } from './lru.js'
import { parseTurnUsername } from './turn-username.js'

export interface TurnSecret {
  /** Names the secret in logs and audits; never the value. */
  id: string
  value: string | Buffer
}

export interface TurnIdentity {
  username: string
  /** Unix seconds. */
  expiresAt: number
  meetingId: string | undefined
  participantId: string | undefined
  /** The REST "user": everything after the expiry. */
  user: string
}

export interface CredentialCandidate {
  secretId: string
  password: string
  /** MD5(username:realm:password), RFC 8489 §9.2.2. */
  key: Buffer
}

export type CredentialFailure =
  | 'ERR_CRED_MALFORMED'
  | 'ERR_CRED_EXPIRED'
  | 'ERR_CRED_TTL_TOO_LONG'
  | 'ERR_CRED_NO_MEETING'
  | 'ERR_CRED_NO_SECRET'

export type CredentialLookup =
  | { ok: true; identity: TurnIdentity; candidates: readonly CredentialCandidate[] }
  | { ok: false; code: CredentialFailure }

export type CredentialVerdict =
  | { ok: true; identity: TurnIdentity; secretId: string; password: string; key: Buffer }
  | { ok: false; code: CredentialFailure | 'ERR_CRED_UNKNOWN' }

export interface CredentialVerifierOptions {
  secrets: readonly TurnSecret[]
  realm: string
  /** A relay in a region requires meeting-scoped usernames; a standalone relay does not. */
  requireMeeting: boolean
  /** Milliseconds since the epoch. */
  now: () => number
  /** Usernames whose keys are kept (default 10 000). */
  cacheSize?: number
  /** Refuse credentials expiring further ahead than this (bounds the damage of a leaked one). */
  maxTtlSeconds?: number
}

interface Entry {
  identity: TurnIdentity
  candidates: readonly CredentialCandidate[]
}

export class CredentialVerifier {
  readonly realm: string
  readonly #requireMeeting: boolean
  readonly #now: () => number
  readonly #maxTtlSeconds: number | undefined
  readonly #cache: Lru<string, Entry>
  #secrets: readonly TurnSecret[]
  /** The secrets' HMAC pads, hashed once per secret set rather than once per username. */
  #secretKeys: readonly HmacKey[]

  constructor(opts: CredentialVerifierOptions) {
    this.realm = opts.realm
    this.#requireMeeting = opts.requireMeeting
    this.#now = opts.now
    this.#maxTtlSeconds = opts.maxTtlSeconds
    this.#cache = new Lru(opts.cacheSize ?? 10_000)
    this.#secrets = checkSecrets(opts.secrets)
    this.#secretKeys = this.#secrets.map((s) => turnSecretKey(s.value))
  }

  /** Replaces the secret set (rotation); cached keys derived from old secrets are dropped. */
  setSecrets(secrets: readonly TurnSecret[]): void {
    this.#secrets = checkSecrets(secrets)
    this.#secretKeys = this.#secrets.map((s) => turnSecretKey(s.value))
    this.#cache.clear()
  }

  get cachedUsernames(): number {
    return this.#cache.size
  }

  /** The identity and every candidate key for a username, or why it is refused before any hashing. */
  lookup(username: string): CredentialLookup {
    let entry = this.#cache.get(username)
    if (!entry) {
      if (this.#secrets.length === 0) return { ok: false, code: 'ERR_CRED_NO_SECRET' }
      let parsed
      try {
        parsed = parseTurnUsername(username, { requireMeeting: this.#requireMeeting })
      } catch (err) {
        if (err instanceof CredentialError) return { ok: false, code: err.code as CredentialFailure }
        throw err
      }
      const identity: TurnIdentity = {
        username,
        expiresAt: parsed.expiresAt,
        meetingId: parsed.meetingId,
        participantId: parsed.participantId,
        user: parsed.user,
      }
      // Refuse before caching so that an expired flood cannot evict live entries.
      const early = this.#expiryFailure(identity)
      if (early) return { ok: false, code: early }
      const candidates = this.#secrets.map((s, i) => {
        const password = turnPasswordWith(this.#secretKeys[i]!, username)
        return { secretId: s.id, password, key: longTermKey(username, this.realm, password) }
      })
      entry = { identity, candidates }
      this.#cache.set(username, entry)
    } else {
      const failure = this.#expiryFailure(entry.identity)
      if (failure) return { ok: false, code: failure }
    }
    return { ok: true, identity: entry.identity, candidates: entry.candidates }
  }

  /** Checks a request's MESSAGE-INTEGRITY against every candidate key of its USERNAME. */
  verify(msg: StunMessage, username: string): CredentialVerdict {
    const found = this.lookup(username)
    if (!found.ok) return found
    for (const c of found.candidates) {
      if (verifyMessageIntegrity(msg, c.key)) {
        return { ok: true, identity: found.identity, secretId: c.secretId, password: c.password, key: c.key }
      }
    }
    return { ok: false, code: 'ERR_CRED_UNKNOWN' }
  }

  #expiryFailure(identity: TurnIdentity): CredentialFailure | undefined {
    const nowSeconds = Math.floor(this.#now() / 1000)
    // The REST draft: the credential is valid until (and including) its expiry second.
    if (nowSeconds > identity.expiresAt) return 'ERR_CRED_EXPIRED'
    if (this.#maxTtlSeconds !== undefined && identity.expiresAt - nowSeconds > this.#maxTtlSeconds) {
      return 'ERR_CRED_TTL_TOO_LONG'
    }
    return undefined
  }
}

function checkSecrets(secrets: readonly TurnSecret[]): readonly TurnSecret[] {
  const ids = new Set<string>()
  for (const s of secrets) {
    if (s.value.length === 0) throw new CredentialError('ERR_CRED_NO_SECRET', `secret ${s.id} is empty`)
    if (ids.has(s.id)) throw new CredentialError('ERR_CRED_BAD_ARGUMENT', `duplicate secret id ${s.id}`)
    ids.add(s.id)
  }
  return [...secrets]
}
