/**
 * A participant's id in a meeting is derived from the meeting and the token's identity,
 * so a reconnect gets the same id, and a ban (stored by participant id) holds for the
 * identity, not for one socket. base64url of SHA-256, 16 bytes: collision-free in practice
 * and fits state/meeting-id.ts's participant id shape and the TURN username.
 */
import { createHash } from 'node:crypto'

export function participantIdFor(meetingId: string, identity: string): string {
  return `p_${createHash('sha256').update(`${meetingId}\n${identity}`, 'utf8').digest().subarray(0, 16).toString('base64url')}`
}
