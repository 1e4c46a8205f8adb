import t from 'tap'
import { Registry } from 'prom-client'
import { createStateMetrics } from '../../state/metrics.js'
import { openRegionState } from '../../state/region-state.js'
import { PolicyCache } from '../../state/policy-cache.js'
import { ManualClock } from './support/clock.js'
import { meeting, REGION } from './support/conformance.js'

t.test('connection health and its recoveries show up as metrics', async (t) => {
  const registry = new Registry()
  const metrics = createStateMetrics(registry)
  const s = openRegionState({ region: REGION, redis: { memory: true }, memoryBackends: new Map(), warn: () => {} })
  const detach = metrics.attach(s)
  const value = async (name: string, labels: Record<string, string>) => {
    const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name)
    return m?.values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))?.value
  }
  t.equal(await value('sovereign_state_connection_up', { region: REGION, connection: 'command' }), 1)
  s.health.set('reconnecting', { error: new Error('ECONNREFUSED') })
  t.equal(await value('sovereign_state_connection_up', { region: REGION, connection: 'command' }), 0)
  t.equal(await value('sovereign_state_connection_state', { connection: 'command', state: 'reconnecting' }), 1)
  s.health.set('connected')
  t.equal(await value('sovereign_state_reconnects_total', { connection: 'command' }), 1)
  detach()
  await s.close()
})

t.test('revocation latency is observed from the policy cache events', async (t) => {
  const registry = new Registry()
  const metrics = createStateMetrics(registry)
  const clock = new ManualClock()
  const s = openRegionState({ region: REGION, redis: { memory: true }, memoryBackends: new Map(), now: clock.now, warn: () => {} })
  const cache = new PolicyCache({ resolve: () => s, now: () => clock.now() + 7 })
  metrics.observeRevocations(cache)
  await cache.watch(s)
  const got = new Promise((r) => cache.once('revoked', r))
  await s.revocations.revoke(meeting().id, 'p1', { ttlMs: 1000 })
  await got
  const h = (await registry.getMetricsAsJSON()).find((x) => x.name === 'sovereign_state_revocation_latency_seconds')
  const sum = h?.values.find((v) => (v as { metricName?: string }).metricName === 'sovereign_state_revocation_latency_seconds_sum')?.value
  t.equal(sum, 0.007, '7 ms between publish and receipt')
  await cache.close()
  await s.close()
})
