/**
 * The long-term credential mechanism, server side (RFC 8489 §9.2.4), as one function
 * over an injected `TurnAuth` (relay/auth supplies credentials and stateless nonces).
 * The order of checks is the RFC's; each failing step names the response it requires.
 */
import { StunDecodeError } from '../errors.js'
import { Attr, StunErrorCode } from '../proto/constants.js'
import { decodeNonce, decodeRealm, decodeUsername } from '../proto/text-attributes.js'
import { getAttribute, type StunMessage } from '../proto/message.js'
import type { RelayIdentity } from '../policy.js'

export type NonceCheck = 'valid' | 'stale' | 'invalid'

/** What the server needs from relay/auth; relay-node adapts the real modules to this. */
export interface TurnAuth {
  /** A fresh nonce for a 401/438 (stateless: any relay process can check it later). */
  issueNonce(now: number, clientAddress: string): string
  checkNonce(nonce: string, now: number, clientAddress: string): NonceCheck
  /**
   * Checks the request's MESSAGE-INTEGRITY with the long-term key(s) of `username`
   * (several during secret rotation). The key that verified signs the responses.
   */
  verify(msg: StunMessage, username: string, now: number): { ok: true; key: Buffer; identity: RelayIdentity } | { ok: false; code: string }
}

export type AuthOutcome =
  | { ok: true; key: Buffer; identity: RelayIdentity }
  | { ok: false; code: StunErrorCode; withNonce: boolean; why: string }

/** A text attribute within its RFC 8489 length limit, or undefined when absent or malformed (→ 400). */
function text(msg: StunMessage, type: number, decode: (v: Buffer) => string): string | undefined {
  const attr = getAttribute(msg, type)
  if (attr === undefined) return undefined
  try {
    return decode(attr.value)
  } catch (err) {
    if (err instanceof StunDecodeError) return undefined
    throw err
  }
}

export function authenticate(msg: StunMessage, realm: string, auth: TurnAuth, now: number, clientAddress: string): AuthOutcome {
  // §9.2.4 step 1: no MESSAGE-INTEGRITY → 401 with REALM and NONCE (and no integrity).
  if (!getAttribute(msg, Attr.MessageIntegrity)) {
    return { ok: false, code: StunErrorCode.Unauthorized, withNonce: true, why: 'no-integrity' }
  }
  // step 2: integrity without USERNAME, REALM or NONCE (or with one malformed) → 400,
  // no integrity on the response.
  const username = text(msg, Attr.Username, decodeUsername)
  const reqRealm = text(msg, Attr.Realm, decodeRealm)
  const nonce = text(msg, Attr.Nonce, decodeNonce)
  if (username === undefined || reqRealm === undefined || nonce === undefined) {
    return { ok: false, code: StunErrorCode.BadRequest, withNonce: false, why: 'missing-username-realm-or-nonce' }
  }
  // step 3: a nonce that is no longer valid → 438 with a new NONCE and REALM.
  const nonceState = auth.checkNonce(nonce, now, clientAddress)
  if (nonceState !== 'valid') {
    return { ok: false, code: StunErrorCode.StaleNonce, withNonce: true, why: `nonce-${nonceState}` }
  }
  // step 4: an unknown/unacceptable username (or a realm that is not ours) → 401;
  // step 5: integrity computed with the long-term key must match → else 401.
  if (reqRealm !== realm) return { ok: false, code: StunErrorCode.Unauthorized, withNonce: true, why: 'wrong-realm' }
  const cred = auth.verify(msg, username, now)
  if (!cred.ok) return { ok: false, code: StunErrorCode.Unauthorized, withNonce: true, why: cred.code }
  return { ok: true, key: cred.key, identity: cred.identity }
}
