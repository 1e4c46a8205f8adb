import t from 'tap'

import { relayMetrics } from '../../../relay/metrics/relay-metrics.js'
import { harness } from '../../support/server-harness.js'

const sample = async (m: ReturnType<typeof relayMetrics>, name: string): Promise<string[]> =>
  (await m.registry.getSingleMetricAsString(name)).split('\n').filter((l) => !l.startsWith('#') && l !== '')

t.test('per-request counters reach a scrape exactly, and only once', async (t) => {
  const { server } = harness()
  const m = relayMetrics({ server, defaultMetrics: false })
  t.teardown(() => m.detach())
  for (let i = 0; i < 3; i++) server.events.emit('request', 'allocate', 401)
  server.events.emit('request', 'allocate', 200)
  server.events.emit('request', 'refresh', 200)
  server.events.emit('auth-failed', 401)
  server.events.emit('allocation-deleted', { transport: 'udp' } as never, 'refresh')
  t.same(await sample(m, 'sovereign_relay_requests_total'), [
    'sovereign_relay_requests_total{method="allocate",code="401"} 3',
    'sovereign_relay_requests_total{method="allocate",code="200"} 1',
    'sovereign_relay_requests_total{method="refresh",code="200"} 1',
  ])
  t.same(await sample(m, 'sovereign_relay_auth_failures_total'), ['sovereign_relay_auth_failures_total{code="401"} 1'])
  t.same(await sample(m, 'sovereign_relay_allocations_deleted_total'), ['sovereign_relay_allocations_deleted_total{cause="refresh"} 1'])
  server.events.emit('request', 'allocate', 401)
  t.same((await sample(m, 'sovereign_relay_requests_total'))[0], 'sovereign_relay_requests_total{method="allocate",code="401"} 4', 'a second scrape adds only what came since')
  t.same((await sample(m, 'sovereign_relay_requests_total'))[0], 'sovereign_relay_requests_total{method="allocate",code="401"} 4', 'a scrape with nothing new changes nothing')
})
