import t from 'tap'
import { PolicyCache } from '../../state/policy-cache.js'
import { openRegionState, type RegionState } from '../../state/region-state.js'
import { isRevokedIn, type PolicySnapshot } from '../../state/policy.js'
import { ManualClock } from './support/clock.js'
import { meeting, participant, REGION } from './support/conformance.js'

const HOUR = 3_600_000

function memory(clock = new ManualClock()): RegionState {
  return openRegionState({ region: REGION, redis: { memory: true }, memoryBackends: new Map(), now: clock.now, warn: () => {} })
}

t.test('a read that raced a revocation is not trusted afterwards', async (t) => {
  const s = memory()
  let open!: () => void
  const gate = new Promise<void>((r) => (open = r))
  let reads = 0
  const slow: RegionState = {
    ...s,
    policy: {
      region: s.region,
      async snapshot(id) {
        reads += 1
        const snap = await s.policy.snapshot(id)
        if (reads === 1) await gate
        return snap
      },
    },
  }
  const cache = new PolicyCache({ resolve: () => slow })
  t.teardown(() => cache.close())
  const m = meeting()
  await s.meetings.create(m)
  await s.meetings.putParticipant(m.id, participant('p1'))
  await cache.watch(slow)
  const racing = cache.get(m.id)
  const revoked = new Promise((r) => cache.once('revoked', r))
  // let the first read take its snapshot before the revocation is written
  await new Promise((r) => setImmediate(r))
  await s.revocations.revoke(m.id, 'p1', { ttlMs: HOUR })
  await revoked
  open()
  const old = await racing
  t.equal(isRevokedIn(old!, 'p1'), false, 'the raced read itself is from before')
  const next = await cache.get(m.id)
  t.equal(reads, 2, 'so the next get reads again')
  t.equal(isRevokedIn(next!, 'p1'), true)
})

t.test('concurrent gets of one meeting share one read', async (t) => {
  const s = memory()
  let reads = 0
  const counting: RegionState = { ...s, policy: { region: s.region, snapshot: (id) => (reads++, s.policy.snapshot(id)) } }
  const cache = new PolicyCache({ resolve: () => counting })
  t.teardown(() => cache.close())
  const m = meeting()
  await s.meetings.create(m)
  const all = await Promise.all([cache.get(m.id), cache.get(m.id), cache.get(m.id)])
  t.equal(reads, 1)
  t.equal(all[0], all[2])
})

t.test('the cache holds at most maxEntries meetings, dropping the oldest', async (t) => {
  const s = memory()
  const cache = new PolicyCache({ resolve: () => s, maxEntries: 2 })
  t.teardown(() => cache.close())
  const ids: string[] = []
  for (let i = 0; i < 3; i++) {
    const m = meeting()
    ids.push(m.id)
    await s.meetings.create(m)
    await cache.get(m.id)
  }
  t.same(cache.cachedMeetings().sort(), ids.slice(1).sort())
  t.equal(cache.lastKnown(ids[0]!), undefined)
})

t.test('last-known policy stays readable when the store cannot be reached', async (t) => {
  const clock = new ManualClock()
  const s = memory(clock)
  const cache = new PolicyCache({ resolve: () => s, ttlMs: 1000, now: clock.now })
  const m = meeting()
  await s.meetings.create(m)
  const known: PolicySnapshot | undefined = await cache.get(m.id)
  await s.close()
  clock.advance(1000)
  await t.rejects(cache.get(m.id), { code: 'ERR_STATE_CLOSED' }, 'a fresh read fails: callers fail closed for new work')
  t.equal(cache.lastKnown(m.id), known, 'existing allocations keep their last-known policy')
  await cache.close()
})

t.test('a meeting-wide revocation (the meeting ended) forgets the meeting\'s snapshot at once', async (t) => {
  const s = memory()
  const cache = new PolicyCache({ resolve: () => s })
  t.teardown(() => cache.close())
  const [ended, running] = [meeting(), meeting()]
  await s.meetings.create(ended)
  await s.meetings.create(running)
  await cache.get(ended.id)
  await cache.get(running.id)
  const revoked = new Promise((r) => cache.once('revoked', r))
  await s.meetings.end(ended.id, { revokeTtlMs: HOUR })
  await revoked
  t.same(cache.cachedMeetings(), [running.id], 'only the running meeting stays cached')
  t.equal((await cache.get(ended.id))?.ended, true, 'asked again, it is read afresh and says ended')
})

t.test('a snapshot nobody read for idleMs is dropped by a later read', async (t) => {
  const clock = new ManualClock()
  const s = memory(clock)
  const cache = new PolicyCache({ resolve: () => s, idleMs: 1000, now: clock.now })
  t.teardown(() => cache.close())
  const [idle, used, later] = [meeting(), meeting(), meeting()]
  for (const m of [idle, used, later]) await s.meetings.create(m)
  await cache.get(idle.id)
  await cache.get(used.id)
  clock.advance(600)
  await cache.get(used.id)
  clock.advance(600)
  await cache.get(later.id)
  t.same(cache.cachedMeetings().sort(), [used.id, later.id].sort(), 'the meeting unread for 1.2 s is gone, the one read 0.6 s ago stays')
})

t.test('a lost region state forgets that region\'s snapshots and asks the relay to re-check its allocations', async (t) => {
  const s = memory()
  let reads = 0
  const counting: RegionState = { ...s, policy: { region: s.region, snapshot: (id) => (reads++, s.policy.snapshot(id)) } }
  const cache = new PolicyCache({ resolve: () => counting })
  t.teardown(() => cache.close())
  const m = meeting()
  await s.meetings.create(m)
  await cache.get(m.id)
  const resync = new Promise((r) => cache.once('resync', r))
  cache.stateLost(REGION)
  t.equal(await resync, REGION, 'resync for the region')
  t.same(cache.cachedMeetings(), [], 'nothing of the lost state is kept')
  await cache.get(m.id)
  t.equal(reads, 2, 'the next get reads afresh')
})
