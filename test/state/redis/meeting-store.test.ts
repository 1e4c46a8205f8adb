/**
 * The Redis meeting store memoises decoded records of running meetings only (issue 9 item
 * 15): a node that saw thousands of meetings end kept every dead record until its cap.
 * Identity shows the memo: a memoised record is the same frozen object on every read.
 */
import t from 'tap'

import { openRegionState } from '../../../state/region-state.js'
import { meeting, REGION } from '../support/conformance.js'
import { deletePrefix } from '../support/redis-harness.js'
import { uniquePrefix } from '../support/redis-servers.js'

t.test('a running meeting\'s record is memoised; once it ended it is decoded afresh and not kept', async (t) => {
  const prefix = uniquePrefix('memo')
  const s = openRegionState({ region: REGION, redis: { url: 'redis://127.0.0.1:6379' }, prefix })
  t.teardown(async () => {
    await deletePrefix(s.connection!.command, prefix)
    await s.close()
  })
  await s.ready()
  const m = meeting()
  await s.meetings.create(m)
  t.equal(await s.meetings.get(m.id), await s.meetings.get(m.id), 'running: the same memoised record')
  const ended = await s.meetings.end(m.id, { revokeTtlMs: 60_000 })
  t.ok(ended.ok)
  const [a, b] = [await s.meetings.get(m.id), await s.meetings.get(m.id)]
  t.equal(a?.status, 'ended')
  t.same(a, b, 'the same content')
  t.not(a, b, 'but not kept: each read decodes its own')
})
