import t from 'tap'
import { performance } from 'node:perf_hooks'
import { openRegionState, type RegionState } from '../../state/region-state.js'
import { PolicyCache } from '../../state/policy-cache.js'
import { startHeartbeat } from '../../state/heartbeat.js'
import { liveness } from '../../geo/policy/liveness.js'
import { startRedisServer, uniquePrefix, type RedisServer } from './support/redis-servers.js'
import { beat, meeting, participant, REGION } from './support/conformance.js'
import type { HealthState } from '../../state/health.js'

const HOUR = 3_600_000

function reaches(s: RegionState, state: HealthState): Promise<void> {
  return s.health.when(state)
}

t.test('a Redis outage: calls fail fast while down, health says so, and everything recovers without a restart', async (t) => {
  const server: RedisServer = await startRedisServer()
  t.teardown(() => server.stop())
  const s = openRegionState({ region: REGION, redis: { url: server.url }, prefix: uniquePrefix() })
  t.teardown(() => s.close())
  await s.ready()
  const m = meeting()
  await s.meetings.create(m)

  const received: unknown[] = []
  let delivered!: () => void
  await s.bus.subscribe('outage', (p) => {
    received.push(p)
    delivered()
  })
  const resubscribed = new Promise<void>((r) => s.pubsub.onResubscribed(r))
  const beatErrors: unknown[] = []
  const loop = startHeartbeat({ fleet: s.fleet, beat: () => beat('relay-a'), onError: (e) => beatErrors.push(e), timers: { setInterval: () => 0, clearInterval: () => {} } })
  t.teardown(() => loop.stop())
  await loop.beatNow()
  t.same(beatErrors, [])

  await server.down()
  await reaches(s, 'reconnecting')

  const started = performance.now()
  await t.rejects(s.meetings.get(m.id), { code: 'ERR_STATE_UNAVAILABLE', name: 'StateUnavailableError' })
  await t.rejects(s.policy.snapshot(m.id), { code: 'ERR_STATE_UNAVAILABLE' })
  await t.rejects(s.revocations.isRevoked(m.id, 'p1'), { code: 'ERR_STATE_UNAVAILABLE' })
  await t.rejects(s.bus.publish('outage', 'lost'), { code: 'ERR_STATE_UNAVAILABLE' })
  const elapsed = performance.now() - started
  // queued calls would wait for a reconnect that never comes (or for the 2 s command
  // timeout each); failing fast is orders of magnitude below that even on a loaded box
  t.ok(elapsed < 1000, `four calls failed in ${elapsed.toFixed(1)} ms (no offline queue, no waiting for reconnect)`)

  await loop.beatNow()
  t.match(beatErrors, [{ code: 'ERR_STATE_UNAVAILABLE' }], 'the heartbeat loop reports the failure and keeps going')

  await reaches(s, 'down')
  t.ok(s.health.snapshot.attempts >= 3, `down after ${s.health.snapshot.attempts} failed reconnects`)
  t.match(s.health.snapshot.lastError, /ECONNREFUSED|closed|connect/i)
  await t.rejects(s.ready(50), { code: 'ERR_STATE_UNAVAILABLE' }, 'ready() times out while down')

  await server.up()
  await reaches(s, 'connected')
  await resubscribed
  t.equal(s.health.snapshot.attempts, 0)

  // the restarted server kept nothing (--save ''): the store answers, and says so
  t.equal(await s.meetings.get(m.id), undefined)
  await loop.beatNow()
  t.same((await s.fleet.liveRelays()).map((r) => r.id), ['relay-a'], 'the relay re-registered itself on its next beat')

  const got = new Promise<void>((r) => (delivered = r))
  await s.bus.publish('outage', 'after')
  await got
  t.same(received, ['after'], 'the subscription survived the restart')
})

t.test('a revocation published while a relay was disconnected is enforced once it reconnects', async (t) => {
  const server = await startRedisServer()
  t.teardown(() => server.stop())
  const prefix = uniquePrefix()
  const control = openRegionState({ region: REGION, redis: { url: server.url }, prefix })
  // the relay reconnects slowly (first retry after >= 250 ms) so the publish surely falls in its outage
  const relay = openRegionState({ region: REGION, redis: { url: server.url }, prefix, connection: { retryBaseMs: 500 } })
  t.teardown(() => Promise.all([control.close(), relay.close()]))
  await Promise.all([control.ready(), relay.ready()])

  const m = meeting()
  await control.meetings.create(m)
  await control.meetings.putParticipant(m.id, participant('p1'))
  const cache = new PolicyCache({ resolve: () => relay })
  t.teardown(() => cache.close())
  t.equal(liveness((await cache.get(m.id))!, 'p1').allow, true)
  const revokedEvents: unknown[] = []
  cache.on('revoked', (e) => revokedEvents.push(e))
  const resync = new Promise<string>((r) => cache.once('resync', r))

  // cut only the relay's subscriber connection (the command connection stays up)
  const relayName = await relay.connection!.subscriber.client('ID')
  await control.connection!.command.client('KILL', 'ID', String(relayName))
  await relay.subscriberHealth.when('reconnecting')
  await control.revocations.revoke(m.id, 'p1', { ttlMs: HOUR })
  t.not(relay.subscriberHealth.state, 'connected', 'the relay is still deaf')
  t.equal(liveness((await cache.get(m.id))!, 'p1').allow, false, 'so the cache does not trust what it holds and reads fresh')

  t.equal(await resync, REGION, 'the cache learns that it may have missed messages')
  t.same(revokedEvents, [], 'the message itself was missed')
  t.equal(liveness((await cache.get(m.id))!, 'p1').allow, false, 'the next read is fresh and refuses')
  t.equal(await relay.revocations.isRevoked(m.id, 'p1'), true, 'and the stored revocation says so too')
})

t.test('a closed store rejects with ERR_STATE_CLOSED, not as an outage', async (t) => {
  const s = openRegionState({ region: REGION, redis: { url: 'redis://127.0.0.1:6379' }, prefix: uniquePrefix() })
  await s.ready()
  await s.close()
  await s.close()
  await t.rejects(s.fleet.liveRelays(), { code: 'ERR_STATE_CLOSED' })
  t.equal(s.health.state, 'closed')
})
