import t from 'tap'

import { CLOSE_CODES } from '../../../control-plane/protocol/error-codes.js'
import type { ServerMessageShape } from '../../../control-plane/protocol/server-messages.js'
import type { SignalSession } from '../../../control-plane/signaling/session.js'
import { endSessionsOfLostMeetings } from '../../../control-plane/signaling/state-loss.js'

/** A session that records what it was sent and how it was ended. */
function session(): { s: SignalSession; sent: ServerMessageShape[]; ended: Array<{ code: number; reason: string; settled: boolean | undefined }> } {
  const sent: ServerMessageShape[] = []
  const ended: Array<{ code: number; reason: string; settled: boolean | undefined }> = []
  const s = { send: (m: ServerMessageShape) => sent.push(m), end: (code: number, reason: string, settled?: boolean) => ended.push({ code, reason, settled }) }
  return { s: s as unknown as SignalSession, sent, ended }
}

t.test('sessions of a meeting that vanished with the state are told SR_STATE_LOST and closed with 4024, settled', async (t) => {
  const [a, b, c] = [session(), session(), session()]
  const byMeeting = new Map([['gone', new Set([a.s, b.s])], ['alive', new Set([c.s])]])
  const ended = await endSessionsOfLostMeetings(byMeeting, async (id) => id === 'alive')
  t.equal(ended, 2)
  for (const x of [a, b]) {
    t.match(x.sent, [{ type: 'error', code: 'SR_STATE_LOST' }], 'told why')
    t.same(x.ended, [{ code: CLOSE_CODES.stateLost, reason: 'SR_STATE_LOST', settled: true }], 'closed with 4024 and no leave written')
  }
  t.same(c.sent, [], 'a meeting that still exists keeps its sessions')
  t.same(c.ended, [])
})

t.test('a meeting whose existence cannot be read after a loss is taken as gone', async (t) => {
  const a = session()
  const ended = await endSessionsOfLostMeetings(new Map([['unreadable', new Set([a.s])]]), async () => { throw new Error('state unavailable') })
  t.equal(ended, 1)
  t.equal(a.ended[0]?.code, 4024)
})
