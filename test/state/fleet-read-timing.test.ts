import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import t from 'tap'

import { fleetReadChannel, type FleetReadTiming } from '../../state/fleet.js'
import { openRegionState } from '../../state/region-state.js'

t.test('every read of the live fleet is timed on the sovereign.fleet.read channel, failed reads too', async (t) => {
  const heard: FleetReadTiming[] = []
  const on = (m: unknown): void => void heard.push(m as FleetReadTiming)
  subscribe(fleetReadChannel.name, on)
  t.teardown(() => unsubscribe(fleetReadChannel.name, on))
  const s = openRegionState({ region: 'eu-central', redis: { memory: true }, memoryBackends: new Map(), warn: () => {} })
  await s.fleet.liveRelays()
  await s.close()
  await t.rejects(s.fleet.liveRelays(), { code: 'ERR_STATE_CLOSED' })
  t.same(heard.map((h) => [h.region, h.ok]), [['eu-central', true], ['eu-central', false]])
  t.ok(heard.every((h) => h.seconds >= 0 && h.seconds < 5), 'in seconds')
})
