/**
 * The region's Redis came back without its data (state/state-epoch.ts): the meetings of
 * this node's sessions are gone (404) while their participants are still connected and
 * would hear nothing for as long as they stay. Each session whose meeting no longer
 * exists is told (`error` SR_STATE_LOST) and closed with its close code (4024). Its state
 * is already settled (there is nothing left to leave), so no `leave` is written: that would
 * only put a fragment of the old meeting into the new, empty Redis.
 *
 * A meeting that does exist (created after the loss, on a Redis partly kept) keeps its
 * sessions. One whose existence cannot be read is ended too: after a loss, a meeting of
 * the old state is gone unless Redis says otherwise.
 */
import { CLOSE_CODES, ERROR_CODES } from '../protocol/error-codes.js'
import type { SignalSession } from './session.js'

/** Resolves true when the meeting still exists; rejects (or false) when it does not. */
export type MeetingExists = (meetingId: string) => Promise<boolean>

/** Ends the sessions of meetings that no longer exist; resolves with how many it ended. */
export async function endSessionsOfLostMeetings(sessionsByMeeting: ReadonlyMap<string, ReadonlySet<SignalSession>>, exists: MeetingExists): Promise<number> {
  let ended = 0
  const meetings = [...sessionsByMeeting.keys()]
  const alive = await Promise.all(meetings.map((id) => exists(id).catch(() => false)))
  meetings.forEach((meetingId, i) => {
    if (alive[i]) return
    for (const session of [...(sessionsByMeeting.get(meetingId) ?? [])]) {
      session.send({ type: 'error', code: 'SR_STATE_LOST', message: ERROR_CODES.SR_STATE_LOST.message })
      session.end(CLOSE_CODES.stateLost, 'SR_STATE_LOST', true)
      ended += 1
    }
  })
  return ended
}
