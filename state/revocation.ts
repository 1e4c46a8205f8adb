/**
 * Revocation of a participant ('<id>') or of a whole meeting ('*'). It is stored in
 * the meeting's home region for as long as the longest credential lives (a relay that
 * missed the message while disconnected still refuses) and published on the region's
 * revocation channel; the message carries the publish time so latency is measurable.
 */
import type { Subscription } from './pubsub.js'

export const ALL_PARTICIPANTS = '*'

export interface RevocationMessage {
  readonly meetingId: string
  /** Absent: the whole meeting. */
  readonly participantId?: string
  /** Publisher's clock (ms) at publish. */
  readonly at: number
}

export interface RevokeOptions {
  /** How long the revocation is stored (ms): the longest credential lifetime. */
  readonly ttlMs: number
}

export interface RevocationStore {
  readonly region: string
  revoke(meetingId: string, participantId: string, options: RevokeOptions): Promise<RevocationMessage>
  /** Does a stored, unexpired revocation cover this participant (or the whole meeting)? */
  isRevoked(meetingId: string, participantId: string): Promise<boolean>
  /** Revocations of every meeting of this region, as published. */
  subscribe(listener: (message: RevocationMessage) => void): Promise<Subscription>
}

export function encodeRevocation(m: RevocationMessage): string {
  return JSON.stringify(m)
}

export function decodeRevocation(raw: string): RevocationMessage | undefined {
  try {
    const v = JSON.parse(raw) as Partial<RevocationMessage>
    if (typeof v.meetingId !== 'string' || typeof v.at !== 'number') return undefined
    return v.participantId === undefined ? { meetingId: v.meetingId, at: v.at } : { meetingId: v.meetingId, participantId: String(v.participantId), at: v.at }
  } catch {
    return undefined
  }
}

/** Stored value "<at>:<expiresAt>" -> still in force at `now`? */
export function revocationInForce(value: string | null | undefined, now: number): boolean {
  if (!value) return false
  const expiresAt = Number(value.slice(value.indexOf(':') + 1))
  return Number.isFinite(expiresAt) && expiresAt > now
}
