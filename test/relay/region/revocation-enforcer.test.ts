/**
 * The revocation enforcer re-checks allocations against fresh policy when a meeting's
 * policy changes. Issue 9 item 15: it re-checked EVERY meeting of the region on each
 * change, so every relay read and cached a policy snapshot per meeting (3,000 join+leave
 * cycles grew each relay by ~30 MB with no TURN traffic at all). Only meetings the relay
 * carries are re-checked.
 */
import { setImmediate as turn } from 'node:timers/promises'

import t from 'tap'

import { enforceRevocations } from '../../../relay/region/revocation-enforcer.js'
import type { TurnServer } from '../../../relay/server/index.js'
import { PolicyCache } from '../../../state/policy-cache.js'
import { openRegionState, type RegionState } from '../../../state/region-state.js'
import { meeting, participant, REGION } from '../../state/support/conformance.js'

t.test('policy changes of meetings the relay carries nothing of are neither read nor cached', async (t) => {
  const s = openRegionState({ region: REGION, redis: { memory: true }, memoryBackends: new Map(), warn: () => {} })
  let reads = 0
  const counting: RegionState = { ...s, policy: { region: s.region, snapshot: (id) => (reads++, s.policy.snapshot(id)) } }
  const cache = new PolicyCache({ resolve: () => counting })
  t.teardown(() => cache.close())
  await cache.watch(counting)
  const carried = new Set<string>()
  const server = { table: { meetingCount: (id: string) => (carried.has(id) ? 1 : 0), values: () => [][Symbol.iterator]() } } as unknown as TurnServer
  const stop = enforceRevocations({ cache, server, revoke: () => 0 })
  t.teardown(stop)

  const meetings = Array.from({ length: 20 }, () => meeting())
  let heard = 0
  const allHeard = new Promise<void>((resolve) => cache.on('invalidated', () => { if (++heard === meetings.length) resolve() }))
  for (const m of meetings) {
    await s.meetings.create(m)
    await s.meetings.putParticipant(m.id, participant('p1'))
  }
  await allHeard
  await turn() // let any re-check the events started reach the store
  t.equal(reads, 0, 'no policy read for meetings without an allocation here')
  t.same(cache.cachedMeetings(), [], 'and nothing cached for them')

  // The re-check itself still runs for a meeting the relay carries.
  const mine = meetings[0]!
  carried.add(mine.id)
  const heardMine = new Promise<void>((resolve) => cache.on('invalidated', (m) => { if (m.meetingId === mine.id) resolve() }))
  await s.meetings.putParticipant(mine.id, participant('p2'))
  await heardMine
  await turn()
  t.equal(reads, 1, 'a meeting with an allocation here is re-checked')
  t.same(cache.cachedMeetings(), [mine.id])
})
