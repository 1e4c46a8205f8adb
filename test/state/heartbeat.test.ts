import t from 'tap'
import { startHeartbeat, type HeartbeatTimers } from '../../state/heartbeat.js'
import { openRegionState } from '../../state/region-state.js'
import type { FleetStore, HeartbeatReply, RelayHeartbeat } from '../../state/fleet.js'
import { ManualClock } from './support/clock.js'
import { beat, REGION } from './support/conformance.js'

class ManualTimers implements HeartbeatTimers {
  fns = new Map<number, () => void>()
  #id = 0
  setInterval(fn: () => void): unknown {
    this.#id += 1
    this.fns.set(this.#id, fn)
    return this.#id
  }
  clearInterval(h: unknown): void {
    this.fns.delete(h as number)
  }
  tick(): void {
    for (const f of this.fns.values()) f()
  }
}

function memoryFleet(clock: ManualClock) {
  return openRegionState({ region: REGION, redis: { memory: true }, memoryBackends: new Map(), now: clock.now, warn: () => {} })
}

t.test('a relay registers at once and stays live while its loop beats every interval', async (t) => {
  const clock = new ManualClock()
  const s = memoryFleet(clock)
  const timers = new ManualTimers()
  let load = 0
  const loop = startHeartbeat({
    fleet: s.fleet, timers, ttlMs: 3000, intervalMs: 1000, onError: (e) => t.fail(String(e)),
    beat: () => beat('relay-a', { load: { allocations: load, packetsPerSecond: 0, bytesPerSecond: 0, cpu: 0 } }),
  })
  await loop.beatNow()
  t.same((await s.fleet.liveRelays()).map((r) => r.id), ['relay-a'])
  for (let i = 1; i <= 10; i++) {
    clock.advance(1000)
    load = i
    timers.tick()
    await loop.beatNow()
  }
  const [r] = await s.fleet.liveRelays()
  t.equal(r?.load.allocations, 10, 'each beat carries the current load')
  await loop.stop()
  t.equal(timers.fns.size, 0, 'stop clears the timer')
  clock.advance(3000)
  t.same(await s.fleet.liveRelays(), [], 'once it stops beating it leaves within the TTL')
})

t.test('stopping with deregister leaves the live set at once', async (t) => {
  const clock = new ManualClock()
  const s = memoryFleet(clock)
  const loop = startHeartbeat({ fleet: s.fleet, timers: new ManualTimers(), onError: (e) => t.fail(String(e)), beat: () => beat('relay-b') })
  await loop.beatNow()
  await loop.stop({ deregister: true })
  t.same(await s.fleet.liveRelays(), [])
  await loop.beatNow()
  t.same(await s.fleet.liveRelays(), [], 'a stopped loop does not beat')
})

t.test('a beat never overlaps a pending one', async (t) => {
  let calls = 0
  let release!: () => void
  const fleet: FleetStore = {
    region: REGION,
    heartbeat: () => {
      calls += 1
      return new Promise<HeartbeatReply>((r) => (release = () => r({ drainRequest: null })))
    },
    deregister: async () => true,
    liveRelays: async () => [],
    requestDrain: async (_id, request) => request,
    cancelDrain: async () => false,
    drainRequests: async () => [],
  }
  const timers = new ManualTimers()
  const beats: RelayHeartbeat[] = []
  const loop = startHeartbeat({ fleet, timers, onError: (e) => t.fail(String(e)), beat: () => beat('relay-c'), onBeat: (b) => beats.push(b) })
  timers.tick()
  timers.tick()
  t.equal(calls, 1, 'a hung Redis gets one outstanding beat, not a pile')
  release()
  await loop.beatNow()
  t.equal(beats.length, 1)
  const next = loop.beatNow()
  release()
  await next
  t.equal(calls, 2)
  const stopping = loop.stop()
  await stopping
})

t.test('each beat hands the relay the operator drain request in force, and null once it is cancelled', async (t) => {
  const clock = new ManualClock()
  const s = memoryFleet(clock)
  const replies: HeartbeatReply[] = []
  const loop = startHeartbeat({ fleet: s.fleet, timers: new ManualTimers(), onError: (e) => t.fail(String(e)), beat: () => beat('relay-d'), onBeat: (_b, r) => replies.push(r) })
  t.teardown(() => loop.stop())
  await loop.beatNow()
  await s.fleet.requestDrain('relay-d', { requestedAt: 5, by: 'test' })
  await loop.beatNow()
  await s.fleet.cancelDrain('relay-d')
  await loop.beatNow()
  t.same(replies.map((r) => r.drainRequest), [null, { requestedAt: 5, by: 'test' }, null])
})
