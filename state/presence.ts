/**
 * Presence leases (issue 9, item 13): a participant stays in its meeting only while the
 * control-plane node holding its socket renews its lease. A node that dies stops
 * renewing; once the lease runs out another node of the region claims it and lets the
 * participant leave (announced like any leave), unless the participant came back on a
 * newer socket first: the leave names the lease's session, so it never touches a newer one.
 *
 * Lease ends use the writer's clock, like the fleet's TTLs: clock skew between nodes
 * shifts a lease by their NTP error.
 */
import { StateError } from './errors.js'

export interface PresenceLease {
  readonly meetingId: string
  readonly participantId: string
  /** The signaling session (socket) holding the participant. */
  readonly session: string
}

export interface PresenceStore {
  readonly region: string
  /** Take a lease (a new session), ending `leaseMs` from now. */
  hold(lease: PresenceLease, leaseMs: number): Promise<void>
  /**
   * Push the end of leases still held to `leaseMs` from now; a lease released or claimed
   * meanwhile is not taken again. With none, it still reaches the store (rejects while it is down).
   */
  renew(leases: readonly PresenceLease[], leaseMs: number): Promise<void>
  /** Drop a lease: its participant left, or its leave was settled by the node that claimed it. */
  release(lease: PresenceLease): Promise<void>
  /**
   * Leases that ran out, at most `limit`, each claimed for `claimMs`: the caller settles
   * (leaves, then releases) them; if it dies first, they are claimed again after that.
   */
  claimExpired(claimMs: number, limit: number): Promise<PresenceLease[]>
}

const PART = /^[A-Za-z0-9._:-]{1,128}$/

/** One sorted-set member per lease; the parts are ids without spaces. */
export function encodeLease(lease: PresenceLease): string {
  for (const part of [lease.meetingId, lease.participantId, lease.session]) {
    if (!PART.test(part)) throw new StateError('ERR_STATE_COMMAND', `invalid presence lease part: ${part.slice(0, 64)}`)
  }
  return `${lease.meetingId} ${lease.participantId} ${lease.session}`
}

export function decodeLease(member: string): PresenceLease | undefined {
  const [meetingId, participantId, session, extra] = member.split(' ')
  if (extra !== undefined || !meetingId || !participantId || !session) return undefined
  return { meetingId, participantId, session }
}
