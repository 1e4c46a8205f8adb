/**
 * A meeting id names its home region (guarantee 4): any node of any region can tell
 * where a meeting lives without a global store, and redirect there.
 *
 *   <regionId>.<26 chars of Crockford base32 = 130 random bits>
 *
 * The random part is unguessable; ':' never appears, so the id can sit inside a
 * TURN REST username (`<expiry>:<meetingId>:<participantId>`).
 */
import { randomBytes } from 'node:crypto'

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'
const MEETING_ID = /^([a-z][a-z0-9-]{0,30}[a-z0-9])\.([0-9a-hjkmnp-tv-z]{26})$/
const PARTICIPANT_ID = /^[A-Za-z0-9_-]{1,64}$/

function base32(bytes: Buffer, length: number): string {
  let out = ''
  let bits = 0
  let value = 0
  for (const byte of bytes) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5 && out.length < length) {
      out += ALPHABET[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  return out
}

export function newMeetingId(regionId: string): string {
  const id = `${regionId}.${base32(randomBytes(17), 26)}`
  if (!MEETING_ID.test(id)) throw new TypeError(`invalid region id for a meeting: ${regionId}`)
  return id
}

/** The home region of a meeting id, or undefined when the string is not a meeting id. */
export function homeRegionOf(meetingId: string): string | undefined {
  return MEETING_ID.exec(meetingId)?.[1]
}

export function isMeetingId(value: string): boolean {
  return MEETING_ID.test(value)
}

export function newParticipantId(): string {
  return `p_${base32(randomBytes(10), 16)}`
}

export function isParticipantId(value: string): boolean {
  return PARTICIPANT_ID.test(value)
}
