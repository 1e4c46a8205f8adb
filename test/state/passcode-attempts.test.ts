/**
 * Wrong-passcode counting (issue 9, item 4): the pure rule, and the same behaviour from
 * the memory store and the Redis store (real Redis at 127.0.0.1:6379, unique prefix),
 * both on a clock moved by hand.
 */
import t, { type Test } from 'tap'

import { backoffAfter, decidePasscodeAttempt, type PasscodeAttemptLimits } from '../../state/passcode-attempts.js'
import { newMeetingId } from '../../state/meeting-id.js'
import type { MemoryRegion } from '../../state/memory/backend.js'
import { openRegionState, type RegionState } from '../../state/region-state.js'
import { ManualClock } from './support/clock.js'
import { deletePrefix } from './support/redis-harness.js'
import { uniquePrefix } from './support/redis-servers.js'

const LIMITS: PasscodeAttemptLimits = { windowMs: 900_000, freeFailures: 3, backoffMs: 1000, maxPerIdentity: 6, maxPerMeeting: 10 }
const none = { failures: 0, last: 0, expiresAt: 0 }

t.test('the rule: free failures, then a doubling wait, then a refusal until the window ends', async (t) => {
  t.same([0, 1, 2, 3, 4, 5, 30].map((n) => backoffAfter(n, LIMITS)), [0, 0, 0, 1000, 2000, 4000, 900_000], 'doubling, capped at the window')
  const now = 1_000_000
  t.same(decidePasscodeAttempt({ failures: 2, last: now, expiresAt: now + 1 }, none, LIMITS, now), { ok: true }, 'within the free failures no wait')
  t.same(decidePasscodeAttempt({ failures: 4, last: now - 500, expiresAt: now + 1 }, none, LIMITS, now), { ok: false, scope: 'identity', retryAfterMs: 1500 })
  t.same(decidePasscodeAttempt({ failures: 4, last: now - 2000, expiresAt: now + 1 }, none, LIMITS, now), { ok: true }, 'after the wait')
  t.same(decidePasscodeAttempt({ failures: 6, last: now - 10 ** 6, expiresAt: now + 5000 }, none, LIMITS, now), { ok: false, scope: 'identity', retryAfterMs: 5000 }, 'used up: until the counter expires')
  t.same(decidePasscodeAttempt(none, { failures: 10, last: now, expiresAt: now + 7000 }, LIMITS, now), { ok: false, scope: 'meeting', retryAfterMs: 7000 }, 'the meeting used up: every identity waits')
})

async function storeBehaviour(t: Test, open: (clock: ManualClock) => Promise<RegionState>): Promise<void> {
  const clock = new ManualClock()
  const state = await open(clock)
  const store = state.passcodeAttempts
  const m = newMeetingId('eu-central')

  t.test('an identity gets its free tries, then waits a doubling time, then is refused for the window', async (t) => {
    for (let i = 0; i < 3; i++) t.same(await store.attempt(m, 'p_mallory', LIMITS), { ok: true }, `free try ${i + 1}`)
    t.same(await store.attempt(m, 'p_mallory', LIMITS), { ok: false, scope: 'identity', retryAfterMs: 1000 }, 'the fourth waits 1 s')
    clock.advance(1000)
    t.same(await store.attempt(m, 'p_mallory', LIMITS), { ok: true })
    t.same(await store.attempt(m, 'p_mallory', LIMITS), { ok: false, scope: 'identity', retryAfterMs: 2000 }, 'then 2 s')
    clock.advance(2000)
    t.same(await store.attempt(m, 'p_mallory', LIMITS), { ok: true })
    clock.advance(4000)
    t.same(await store.attempt(m, 'p_mallory', LIMITS), { ok: true }, 'after 4 s, the sixth')
    clock.advance(60_000)
    t.same(await store.attempt(m, 'p_mallory', LIMITS), { ok: false, scope: 'identity', retryAfterMs: 900_000 - 60_000 }, 'six used: refused until the window after the last ends')
    t.same(await store.attempt(m, 'p_alice', LIMITS), { ok: true }, 'another identity is not held back by this one')
    clock.advance(900_000)
    t.same(await store.attempt(m, 'p_mallory', LIMITS), { ok: true }, 'forgotten once the window has passed')
  })

  t.test('a right passcode forgets the identity\'s failures and gives the attempt back to the meeting', async (t) => {
    const m2 = newMeetingId('eu-central')
    for (let i = 0; i < 3; i++) await store.attempt(m2, 'p_bob', LIMITS)
    t.same(await store.attempt(m2, 'p_bob', LIMITS), { ok: false, scope: 'identity', retryAfterMs: 1000 })
    clock.advance(1000)
    t.same(await store.attempt(m2, 'p_bob', LIMITS), { ok: true })
    await store.succeeded(m2, 'p_bob')
    for (let i = 0; i < 3; i++) t.same(await store.attempt(m2, 'p_bob', LIMITS), { ok: true }, 'free tries again')
  })

  t.test('a meeting that used up its failures refuses every identity until its window ends', async (t) => {
    const m3 = newMeetingId('eu-central')
    for (let i = 0; i < 10; i++) t.same(await store.attempt(m3, `p_guest${i}`, LIMITS), { ok: true })
    t.same(await store.attempt(m3, 'p_new', LIMITS), { ok: false, scope: 'meeting', retryAfterMs: 900_000 })
    t.same(await store.attempt(newMeetingId('eu-central'), 'p_new', LIMITS), { ok: true }, 'other meetings are not affected')
  })

  t.test('attempts sent together cannot all be taken', async (t) => {
    const m4 = newMeetingId('eu-central')
    const results = await Promise.all(Array.from({ length: 20 }, () => store.attempt(m4, 'p_burst', LIMITS)))
    t.equal(results.filter((r) => r.ok).length, 3, 'only the free tries')
  })
}

t.test('the memory store', async (t) => {
  await storeBehaviour(t, async (clock) => {
    const state = openRegionState({ region: 'eu-central', redis: { memory: true }, now: clock.now, memoryBackends: new Map<string, MemoryRegion>(), warn: () => {} })
    t.teardown(() => state.close())
    return state
  })
})

t.test('the Redis store', async (t) => {
  const prefix = uniquePrefix('pc')
  await storeBehaviour(t, async (clock) => {
    const state = openRegionState({ region: 'eu-central', redis: { url: 'redis://127.0.0.1:6379' }, prefix, now: clock.now })
    await state.ready()
    t.teardown(async () => {
      await deletePrefix(state.connection!.command, prefix)
      await state.close()
    })
    return state
  })
})

t.test('the memory store forgets expired counters once it holds many, as Redis does by TTL', async (t) => {
  const clock = new ManualClock()
  const backends = new Map<string, MemoryRegion>()
  const state = openRegionState({ region: 'eu-central', redis: { memory: true }, now: clock.now, memoryBackends: backends, warn: () => {} })
  t.teardown(() => state.close())
  const m = newMeetingId('eu-central')
  for (let i = 0; i < 5000; i++) await state.passcodeAttempts.attempt(m, `p_${i}`, { ...LIMITS, maxPerMeeting: 10_000 })
  const counters = [...backends.values()][0]!.passcodeFailures
  t.equal(counters.size, 5001, 'one per identity and one for the meeting')
  clock.advance(LIMITS.windowMs)
  await state.passcodeAttempts.attempt(m, 'p_late', LIMITS)
  t.equal(counters.size, 2, 'only the new ones are left')
})
