/**
 * The TURN REST username (draft-uberti-behave-turn-rest-00 §2.2): `<expiry>:<identity>`,
 * the expiry in Unix seconds. In Sovereign Relay the identity names the meeting and the
 * participant: `<expiry>:<meetingId>:<participantId>`. Meeting ids contain '.' and never
 * ':' (state/meeting-id.ts), participant ids match ^[A-Za-z0-9_-]{1,64}$, so the split is
 * unambiguous. A standalone relay also accepts plain `<expiry>:<anything>`.
 */
import { isMeetingId, isParticipantId } from '../../state/meeting-id.js'
import { CredentialError } from '../errors.js'
import { USERNAME_MAX_BYTES } from '../proto/text-attributes.js'

export interface TurnUsername {
  /** Unix seconds after which the credential is refused. */
  expiresAt: number
  meetingId?: string
  participantId?: string
  /** Everything after the first ':' — the REST API "user". */
  user: string
}

export interface ParseUsernameOptions {
  /** Refuse usernames that do not name a meeting and a participant (a relay in a region). */
  requireMeeting: boolean
}

// Up to 12 digits: Unix seconds well past year 30 000, and safely inside 2^53.
const EXPIRY = /^[0-9]{1,12}$/

export function parseTurnUsername(username: string, opts: ParseUsernameOptions): TurnUsername {
  if (Buffer.byteLength(username, 'utf8') > USERNAME_MAX_BYTES) {
    throw new CredentialError('ERR_CRED_MALFORMED', 'username longer than a STUN USERNAME may be')
  }
  const colon = username.indexOf(':')
  if (colon <= 0 || colon === username.length - 1) {
    throw new CredentialError('ERR_CRED_MALFORMED', 'username is not <expiry>:<identity>')
  }
  const expiry = username.slice(0, colon)
  if (!EXPIRY.test(expiry)) throw new CredentialError('ERR_CRED_MALFORMED', 'username expiry is not Unix seconds')
  const user = username.slice(colon + 1)
  const expiresAt = Number(expiry)
  const second = user.indexOf(':')
  if (second > 0) {
    const meetingId = user.slice(0, second)
    const participantId = user.slice(second + 1)
    if (isMeetingId(meetingId) && isParticipantId(participantId)) return { expiresAt, meetingId, participantId, user }
    if (opts.requireMeeting) {
      throw new CredentialError('ERR_CRED_MALFORMED', 'username identity is not <meetingId>:<participantId>')
    }
    return { expiresAt, user }
  }
  if (opts.requireMeeting) throw new CredentialError('ERR_CRED_NO_MEETING', 'username does not name a meeting')
  return { expiresAt, user }
}

export function formatTurnUsername(expiresAt: number, meetingId: string, participantId: string): string {
  return `${expiresAt}:${meetingId}:${participantId}`
}
