/**
 * Conformance of the region-wide views the SRE dashboard reads — the meeting index and
 * the decision feed — run against the memory store, a standalone Redis and a 3-master
 * Redis Cluster, with the same injected clock and small bounds so the bounds are tested.
 */
import type { Test } from 'tap'
import type { RedisSettings } from '../../../config/schema.js'
import type { AuditEvent } from '../../../state/audit.js'
import { compareStreamIds } from '../../../state/decision-feed.js'
import type { MemoryRegion } from '../../../state/memory/backend.js'
import { newMeetingId } from '../../../state/meeting-id.js'
import { openRegionState, type RegionState } from '../../../state/region-state.js'
import { ManualClock } from './clock.js'
import { deletePrefix } from './redis-harness.js'
import { uniquePrefix } from './redis-servers.js'

export const VIEW_BOUNDS = { feedMaxLength: 30, meetingIndex: { maxEntries: 8, retentionMs: 60_000 } } as const

export interface ViewsHarness {
  readonly clock: ManualClock
  open(region: string): Promise<RegionState>
  dispose(): Promise<void>
}

/** States opened with VIEW_BOUNDS on `redis` (or the memory backend), under a unique prefix. */
export function viewsHarness(redis: RedisSettings): ViewsHarness {
  const clock = new ManualClock()
  const prefix = uniquePrefix()
  const memory = new Map<string, MemoryRegion>()
  const opened: RegionState[] = []
  return {
    clock,
    async open(region) {
      const s = openRegionState({ region, redis, prefix, now: clock.now, memoryBackends: memory, warn: () => {}, ...VIEW_BOUNDS })
      opened.push(s)
      await s.ready()
      return s
    },
    async dispose() {
      const conn = opened.find((s) => s.connection)?.connection
      if (conn) await deletePrefix(conn.command, prefix)
      await Promise.all(opened.map((s) => s.close()))
    },
  }
}

const decision = (over: Partial<AuditEvent> = {}): AuditEvent => ({ at: 1, actor: 'cp-1', kind: 'admission', allow: true, reason: 'home_region', ...over })

export function regionViewsConformance(t: Test, factory: () => ViewsHarness): void {
  let h: ViewsHarness
  let s: RegionState
  t.before(async () => {
    h = factory()
    s = await h.open('eu-central')
  })
  t.teardown(async () => {
    await h?.dispose()
  })

  t.test('meeting index', async (t) => {
    t.test('a meeting is listed while it runs, and an ended one until its retention runs out', async (t) => {
      const id = newMeetingId('eu-central')
      await s.meetingIndex.add(id)
      t.same(await s.meetingIndex.list(), [{ meetingId: id }], 'running: no expiry')
      await s.meetingIndex.ended(id, h.clock.now(), 5000)
      t.same(await s.meetingIndex.list(), [{ meetingId: id, expiresAt: h.clock.now() + 5000 }])
      h.clock.advance(4999)
      t.equal((await s.meetingIndex.list()).length, 1, 'still listed just before')
      h.clock.advance(1)
      t.same(await s.meetingIndex.list(), [], 'gone exactly at its expiry')
    })

    t.test('running meetings list first, then the most recently ended', async (t) => {
      const [running, endedEarly, endedLate] = [newMeetingId('eu-central'), newMeetingId('eu-central'), newMeetingId('eu-central')]
      for (const id of [endedEarly, running, endedLate]) await s.meetingIndex.add(id)
      await s.meetingIndex.ended(endedEarly, h.clock.now())
      await s.meetingIndex.ended(endedLate, h.clock.now() + 10)
      t.same((await s.meetingIndex.list()).map((m) => m.meetingId), [running, endedLate, endedEarly])
      t.same((await s.meetingIndex.list(2)).map((m) => m.meetingId), [running, endedLate], 'a limit keeps the head')
      for (const id of [running, endedEarly, endedLate]) await s.meetingIndex.remove(id)
      t.same(await s.meetingIndex.list(), [], 'removed entries are gone')
    })

    t.test('the index is bounded: past its size the entries that would leave soonest go first', async (t) => {
      const ended = [newMeetingId('eu-central'), newMeetingId('eu-central')]
      for (const id of ended) await s.meetingIndex.add(id)
      await s.meetingIndex.ended(ended[0]!, h.clock.now())
      await s.meetingIndex.ended(ended[1]!, h.clock.now() + 1)
      const running = Array.from({ length: VIEW_BOUNDS.meetingIndex.maxEntries - 1 }, () => newMeetingId('eu-central'))
      for (const id of running) await s.meetingIndex.add(id)
      const listed = (await s.meetingIndex.list()).map((m) => m.meetingId)
      t.equal(listed.length, VIEW_BOUNDS.meetingIndex.maxEntries)
      t.notOk(listed.includes(ended[0]!), 'the earliest-expiring entry was dropped')
      t.ok(listed.includes(ended[1]!), 'the next one stays')
      for (const id of [...running, ...ended]) await s.meetingIndex.remove(id)
    })

    t.test("a meeting homed in another region cannot be indexed here (guarantee 4)", async (t) => {
      await t.rejects(s.meetingIndex.add(newMeetingId('us-east')), { code: 'ERR_STATE_NOT_HOMED_HERE' })
      await t.rejects(s.meetingIndex.ended(newMeetingId('us-east'), 1), { code: 'ERR_STATE_NOT_HOMED_HERE' })
    })

    t.test("regions' indexes do not see each other", async (t) => {
      const other = await h.open('us-east')
      const ours = newMeetingId('eu-central')
      const theirs = newMeetingId('us-east')
      await s.meetingIndex.add(ours)
      await other.meetingIndex.add(theirs)
      t.same((await s.meetingIndex.list()).map((m) => m.meetingId), [ours])
      t.same((await other.meetingIndex.list()).map((m) => m.meetingId), [theirs])
      await s.meetingIndex.remove(ours)
      await other.meetingIndex.remove(theirs)
    })
  })

  t.test('decision feed', async (t) => {
    t.test("every audit append of every meeting reaches the region's feed, with its meeting", async (t) => {
      const [a, b] = [newMeetingId('eu-central'), newMeetingId('eu-central')]
      const before = (await s.decisions.latest(1))[0]?.id
      const relayRefusal = decision({ actor: 'relay-a', kind: 'peer', allow: false, reason: 'peer_not_in_meeting', relayId: 'relay-a', participantId: 'p1', addresses: ['127.0.9.9'], countries: ['DE'] })
      await s.audit.append(a, decision({ detail: 'admitted' }))
      await s.audit.append(b, relayRefusal)
      const feed = before === undefined ? await s.decisions.latest(10) : await s.decisions.after(before)
      t.same(feed.map(({ id: _id, ...d }) => d), [{ ...decision({ detail: 'admitted' }), meetingId: a }, { ...relayRefusal, meetingId: b }])
      t.ok(compareStreamIds(feed[0]!.id, feed[1]!.id) < 0, 'ids increase')
      t.same((await s.audit.read(b)).map((r) => r.kind), ['peer'], "the meeting's own stream still gets it")
    })

    t.test('the feed reads the newest entries oldest first, and pages after an id', async (t) => {
      const m = newMeetingId('eu-central')
      for (let i = 0; i < 5; i++) await s.audit.append(m, decision({ detail: String(i) }))
      const last3 = await s.decisions.latest(3)
      t.same(last3.map((d) => d.detail), ['2', '3', '4'])
      t.same((await s.decisions.after(last3[0]!.id)).map((d) => d.detail), ['3', '4'])
      t.same(await s.decisions.after(last3[2]!.id), [], 'nothing after the newest')
      t.same((await s.decisions.after(last3[0]!.id, 1)).map((d) => d.detail), ['3'], 'at most count')
    })

    t.test('the feed is bounded', async (t) => {
      const m = newMeetingId('eu-central')
      for (let i = 0; i < 300; i++) await s.audit.append(m, decision({ detail: String(i) }))
      const all = await s.decisions.latest(1000)
      // Redis trims whole stream nodes (MAXLEN ~): a little over the bound, never unbounded.
      t.ok(all.length >= VIEW_BOUNDS.feedMaxLength && all.length <= VIEW_BOUNDS.feedMaxLength + 100, `${all.length} entries kept of 300`)
      t.equal(all.at(-1)!.detail, '299', 'the newest is kept')
    })

    t.test("another region's decisions never reach this region's feed", async (t) => {
      const other = await h.open('us-east')
      const theirs = newMeetingId('us-east')
      await other.audit.append(theirs, decision({ detail: 'elsewhere' }))
      t.notOk((await s.decisions.latest(1000)).some((d) => d.meetingId === theirs))
      t.equal((await other.decisions.latest(1))[0]?.meetingId, theirs)
      await t.rejects(s.audit.append(theirs, decision()), { code: 'ERR_STATE_NOT_HOMED_HERE' }, 'nor can it be written through this region')
    })
  })
}
