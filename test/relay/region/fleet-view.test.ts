/**
 * FleetView: the relays of a set of regions, as guarantee 2 (which peers are relays of
 * the meeting) and the TURN hairpin guard (their service and relayed ports) need them.
 * Over the in-process memory state, with the clock moved by hand.
 */
import t, { type Test } from 'tap'

import { FleetView } from '../../../relay/region/fleet-view.js'
import type { RelayHeartbeat } from '../../../state/fleet.js'
import { openRegionState, type RegionState } from '../../../state/region-state.js'
import type { MemoryRegion } from '../../../state/memory/backend.js'

function setup(t: Test) {
  let now = 1_700_000_000_000
  const backends = new Map<string, MemoryRegion>()
  const state = openRegionState({ region: 'eu-central', redis: { memory: true }, memoryBackends: backends, now: () => now })
  t.teardown(() => state.close())
  const view = new FleetView({ region: (): RegionState => state, ttlMs: 1000, maxStaleMs: 30_000, now: () => now })
  const beat = (id: string, extra: Partial<RelayHeartbeat> = {}) =>
    state.fleet.heartbeat({
      id, region: 'eu-central', udp: [`203.0.113.${id === 'a' ? 10 : 20}:3478`], tcp: [`203.0.113.${id === 'a' ? 10 : 20}:3478`], capacity: 10, version: 't', startedAt: now,
      load: { allocations: 0, packetsPerSecond: 0, bytesPerSecond: 0, cpu: 0 }, draining: false, sentAt: now, ...extra,
    }, 60_000)
  return { state, view, beat, advance: (ms: number) => { now += ms } }
}

t.test('a relay\'s endpoints carry its listener and metrics ports, its TLS port, and its relayed range', async (t) => {
  const { view, beat } = setup(t)
  await beat('a', { tls: ['turn-a.example.net:443'], metrics: '203.0.113.10:9090', relayPorts: { min: 49152, max: 65535 } })
  t.same(await view.endpoints(['eu-central']), [{ id: 'a', addresses: ['203.0.113.10'], servicePorts: [3478, 9090, 443], relayPorts: { min: 49152, max: 65535 } }])
})

t.test('an older relay without the new fields still lists its addresses and listener ports', async (t) => {
  const { view, beat } = setup(t)
  await beat('b')
  t.same(await view.endpoints(['eu-central']), [{ id: 'b', addresses: ['203.0.113.20'], servicePorts: [3478] }])
})

t.test('the same list comes back until the ttl passes; then the last one serves while a fresh read runs', async (t) => {
  const { view, beat, advance } = setup(t)
  await beat('a')
  const first = await view.endpoints(['eu-central'])
  t.equal(await view.endpoints(['eu-central']), first, 'unchanged within the ttl: the same array')
  await beat('b')
  advance(1500)
  t.equal(await view.endpoints(['eu-central']), first, 'past the ttl the last list is answered at once')
  // The read started by that call lands in the cache; the next call sees relay b.
  await view.addresses(['eu-central'])
  const next = await view.endpoints(['eu-central'])
  t.same(next.map((r) => r.id).sort(), ['a', 'b'])
})
