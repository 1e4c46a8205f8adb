/**
 * TURN REST API credentials, meeting-scoped (draft-uberti-behave-turn-rest-00 §2.2):
 *   username = `<expiry unix seconds>:<meetingId>:<participantId>` (see turn-username.ts)
 *   password = base64(HMAC-SHA1(secret, username))
 * The relay owns this format; the control plane mints with `mintTurnCredential`.
 * Secrets rotate by overlap: a relay holds several, mints with the first, and accepts any.
 */
import { HmacKey } from '../proto/hmac.js'
import { isMeetingId, isParticipantId } from '../../state/meeting-id.js'
import { CredentialError } from '../errors.js'
import { formatTurnUsername } from './turn-username.js'

export { formatTurnUsername, parseTurnUsername, type ParseUsernameOptions, type TurnUsername } from './turn-username.js'

export interface TurnCredential {
  username: string
  password: string
  /** Unix seconds. */
  expiresAt: number
  ttlSeconds: number
}

export interface MintOptions {
  secret: string | Buffer
  meetingId: string
  participantId: string
  ttlSeconds: number
  /** Milliseconds since the epoch (Date.now semantics). */
  now: () => number
}

export function turnPassword(secret: string | Buffer, username: string): string {
  return turnPasswordWith(turnSecretKey(secret), username)
}

/** A secret ready to sign many usernames (the relay derives one password per new username). */
export function turnSecretKey(secret: string | Buffer): HmacKey {
  return new HmacKey('sha1', typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret)
}

export function turnPasswordWith(secret: HmacKey, username: string): string {
  return secret.mac(Buffer.from(username, 'utf8')).toString('base64')
}

export function mintTurnCredential(opts: MintOptions): TurnCredential {
  if (!isMeetingId(opts.meetingId)) throw new CredentialError('ERR_CRED_BAD_ARGUMENT', `not a meeting id: ${opts.meetingId}`)
  if (!isParticipantId(opts.participantId)) {
    throw new CredentialError('ERR_CRED_BAD_ARGUMENT', `not a participant id: ${opts.participantId}`)
  }
  if (!Number.isInteger(opts.ttlSeconds) || opts.ttlSeconds <= 0) {
    throw new CredentialError('ERR_CRED_BAD_ARGUMENT', `ttlSeconds must be a positive integer: ${opts.ttlSeconds}`)
  }
  if (opts.secret.length === 0) throw new CredentialError('ERR_CRED_NO_SECRET', 'an empty secret cannot sign credentials')
  const expiresAt = Math.floor(opts.now() / 1000) + opts.ttlSeconds
  const username = formatTurnUsername(expiresAt, opts.meetingId, opts.participantId)
  return { username, password: turnPassword(opts.secret, username), expiresAt, ttlSeconds: opts.ttlSeconds }
}
