/**
 * The seat a join takes: the participant written into the meeting (capacity and bans
 * checked again atomically by the store, so two joins racing for the last seat cannot
 * both win) together with its presence lease (state/presence.ts), so a node that dies
 * leaves no seat without a lease, and no ghost.
 */
import type { ErrorCode } from '../protocol/error-codes.js'
import type { JoinWrite, MeetingRefusal, MeetingStore, Outcome, Participant } from '../../state/meetings.js'
import type { PresenceStore } from '../../state/presence.js'

export interface SeatRequest {
  readonly meetingId: string
  readonly participant: Participant
  readonly allowBanned: boolean
  readonly capacity: number
  /** With `leaseMs`: the signaling session holding the seat, given a lease its node renews. */
  readonly session?: string
  readonly leaseMs?: number
}

export async function takeSeat(stores: { readonly meetings: MeetingStore; readonly presence: PresenceStore }, r: SeatRequest): Promise<Outcome<JoinWrite>> {
  const { meetingId, participant } = r
  // The lease is sent before the write, on the same connection: a node that dies right after leaves no seat without a lease.
  // A refused write leaves a lease that runs out and settles nothing (its leave names a session that holds no seat).
  const lease = r.session !== undefined && r.leaseMs !== undefined
    ? stores.presence.hold({ meetingId, participantId: participant.id, session: r.session }, r.leaseMs)
    : undefined
  lease?.catch(() => undefined) // awaited below
  const put = await stores.meetings.joinParticipant(meetingId, participant, { allowBanned: r.allowBanned, capacity: r.capacity })
  if (lease) {
    // A seat without a lease would be a ghost if this node died: give it back, then fail the join.
    await lease.catch(async (err: unknown) => {
      if (put.ok) await stores.meetings.leaveParticipant(meetingId, participant.id, { session: r.session! }).catch(() => undefined)
      throw err
    })
  }
  return put
}

/** Why the store refused a seat, as the joining client is told. */
export function seatRefusalCode(refusal: MeetingRefusal): ErrorCode {
  return refusal === 'banned' ? 'SR_REMOVED_CANNOT_REJOIN' : refusal === 'ended' ? 'SR_MEETING_ENDED' : refusal === 'full' ? 'SR_MEETING_FULL' : 'SR_MEETING_NOT_FOUND'
}
