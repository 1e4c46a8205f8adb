import t from 'tap'
import { openRegionState, type RegionState } from '../../state/region-state.js'
import type { MemoryRegion } from '../../state/memory/backend.js'
import { conformance } from './support/conformance.js'
import { ManualClock } from './support/clock.js'
import { regionViewsConformance, viewsHarness } from './support/region-views-conformance.js'

t.test('the memory store', async (t) => {
  conformance(t, async () => {
    const clock = new ManualClock()
    const backends = new Map<string, MemoryRegion>()
    const opened: RegionState[] = []
    return {
      clock,
      async open(region) {
        const s = openRegionState({ region, redis: { memory: true }, now: clock.now, memoryBackends: backends, auditMaxLength: 50, warn: () => {} })
        opened.push(s)
        return s
      },
      async dispose() {
        await Promise.all(opened.map((s) => s.close()))
      },
    }
  })
})

t.test('choosing the memory store warns that it is single-process only', async (t) => {
  const warnings: string[] = []
  const backends = new Map<string, MemoryRegion>()
  const a = openRegionState({ region: 'eu-central', redis: { memory: true }, memoryBackends: backends, warn: (m) => warnings.push(m) })
  const b = openRegionState({ region: 'eu-central', redis: { memory: true }, memoryBackends: backends, warn: (m) => warnings.push(m) })
  await Promise.all([a.close(), b.close()])
  t.equal(warnings.length, 1, 'once per region, not per store')
  t.match(warnings[0], /eu-central.*SINGLE-PROCESS ONLY/)
})

t.test('a closed memory store rejects every call', async (t) => {
  const s = openRegionState({ region: 'eu-central', redis: { memory: true }, memoryBackends: new Map(), warn: () => {} })
  await s.close()
  await s.close()
  await t.rejects(s.fleet.liveRelays(), { code: 'ERR_STATE_CLOSED' })
  t.equal(s.health.state, 'closed')
})

t.test('the region views (meeting index, decision feed) in memory', async (t) => {
  regionViewsConformance(t, () => viewsHarness({ memory: true }))
})
