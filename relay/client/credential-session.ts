/**
 * Sans-IO: the client side of the long-term credential mechanism (RFC 8489 §9.2). It holds
 * what the server taught (REALM, NONCE, the key) and judges each response: accept it,
 * retry with the new NONCE, or give up with the server's error code. No sockets, no timers.
 */
import {
  Attr,
  MessageClass,
  StunErrorCode,
  decodeErrorCode,
  decodeNonce,
  decodeRealm,
  getAttribute,
  longTermKey,
  verifyMessageIntegrity,
  type StunMessage,
} from '../proto/index.js'
import type { RequestCredentials } from './client-messages.js'
import { TurnClientError } from './turn-client-error.js'

/** Retries a request gets for 401/438 before the error stands. */
export const MAX_AUTH_RETRIES = 3

export type AuthVerdict =
  | { readonly kind: 'accept' }
  | { readonly kind: 'retry' }
  | { readonly kind: 'rejected'; readonly code: number; readonly reason: string }

export class CredentialSession {
  readonly username: string
  readonly #password: string
  #realm: string | undefined
  #nonce: string | undefined
  #key: Buffer | undefined
  challenges = 0
  staleNonces = 0

  constructor(username: string, password: string) {
    this.username = username
    this.#password = password
  }

  get realm(): string | undefined { return this.#realm }
  get nonce(): string | undefined { return this.#nonce }

  /** What to sign the next request with; undefined before the first challenge (RFC 8489 §9.2.3). */
  credentials(): RequestCredentials | undefined {
    if (this.#key === undefined) return undefined
    return { username: this.username, realm: this.#realm!, nonce: this.#nonce!, key: this.#key }
  }

  /**
   * Judges `res`, the response to attempt number `attempt` (0-based) sent with `sent`.
   * RFC 8489 §9.2.5: a 401 to an unauthenticated request teaches REALM and NONCE (retry);
   * a 401 to an authenticated one stands; a 438 teaches a new NONCE (retry). With
   * `verify`, an authenticated success must carry a valid MESSAGE-INTEGRITY.
   */
  judge(res: StunMessage, sent: RequestCredentials | undefined, attempt: number, verify = true): AuthVerdict {
    if (res.cls === MessageClass.SuccessResponse) {
      if (sent && verify && !verifyMessageIntegrity(res, sent.key)) {
        throw new TurnClientError('ERR_TURN_BAD_RESPONSE', 'success response fails MESSAGE-INTEGRITY')
      }
      return { kind: 'accept' }
    }
    const attr = getAttribute(res, Attr.ErrorCode)
    if (!attr) throw new TurnClientError('ERR_TURN_BAD_RESPONSE', 'error response without ERROR-CODE')
    const { code, reason } = decodeErrorCode(attr.value)
    const retriable = attempt < MAX_AUTH_RETRIES &&
      (code === StunErrorCode.StaleNonce || (code === StunErrorCode.Unauthorized && sent === undefined))
    if (!retriable) return { kind: 'rejected', code, reason }
    const realm = getAttribute(res, Attr.Realm)
    const nonce = getAttribute(res, Attr.Nonce)
    if (!nonce || (!realm && this.#realm === undefined)) {
      throw new TurnClientError('ERR_TURN_BAD_RESPONSE', `${code} without NONCE/REALM`, code)
    }
    if (code === StunErrorCode.Unauthorized) this.challenges++
    else this.staleNonces++
    if (realm) this.#realm = decodeRealm(realm.value)
    this.#nonce = decodeNonce(nonce.value)
    this.#key = longTermKey(this.username, this.#realm!, this.#password)
    return { kind: 'retry' }
  }
}
