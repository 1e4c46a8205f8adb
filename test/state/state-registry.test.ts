import t from 'tap'
import { StateRegistry } from '../../state/state-registry.js'
import { PolicyCache } from '../../state/policy-cache.js'
import { isRevokedIn } from '../../state/policy.js'
import type { RegionState, RegionStateOptions } from '../../state/region-state.js'
import { openRegionState } from '../../state/region-state.js'
import { startRedisServer, uniquePrefix } from './support/redis-servers.js'
import { meeting, participant } from './support/conformance.js'
import { newMeetingId } from '../../state/meeting-id.js'
import { Redis } from 'ioredis'

const HOUR = 3_600_000

t.test('regions are opened lazily, once, and only when asked for', async (t) => {
  const opened: string[] = []
  const registry = new StateRegistry({
    regions: [{ id: 'eu-central', redis: { memory: true } }, { id: 'us-east', redis: { memory: true } }],
    memoryBackends: new Map(),
    warn: () => {},
    open: (o: RegionStateOptions): RegionState => {
      opened.push(o.region)
      return openRegionState(o)
    },
  })
  t.teardown(() => registry.close())
  t.same(opened, [])
  const a = registry.forMeeting(newMeetingId('us-east'))
  t.equal(a.region, 'us-east')
  t.equal(registry.region('us-east'), a, 'cached')
  t.same(opened, ['us-east'])
  t.throws(() => registry.region('ap-south'), { code: 'ERR_STATE_NOT_HOMED_HERE' })
  t.throws(() => registry.forMeeting('nonsense'), { code: 'ERR_STATE_NOT_HOMED_HERE' })
  await registry.close()
  t.throws(() => registry.region('eu-central'), { code: 'ERR_STATE_CLOSED' })
})

t.test("a relay of region B serves a jurisdiction meeting of A from A's Redis and writes nothing into B's (guarantee 4)", async (t) => {
  const [redisA, redisB] = await Promise.all([startRedisServer(), startRedisServer()])
  t.teardown(() => Promise.all([redisA.stop(), redisB.stop()]))
  const regions = [{ id: 'eu-central', redis: { url: redisA.url } }, { id: 'eu-west', redis: { url: redisB.url } }]
  const prefix = uniquePrefix()
  // the control plane of A and a relay process of B, each with its own registry
  const controlA = new StateRegistry({ regions, prefix })
  const relayB = new StateRegistry({ regions, prefix })
  t.teardown(() => Promise.all([controlA.close(), relayB.close()]))
  const home = controlA.region('eu-central')
  await home.ready()

  const m = meeting(newMeetingId('eu-central'), { residencyMode: 'jurisdiction', allowedRegions: ['eu-central', 'eu-west'] })
  await home.meetings.create(m)
  await home.meetings.putParticipant(m.id, participant('p1', { addresses: ['127.0.1.1'] }))

  // the relay of B registers in its own fleet (that is B's data, not the meeting's)
  const own = relayB.region('eu-west')
  await own.ready()
  const cache = new PolicyCache({ resolve: (id) => relayB.forMeeting(id) })
  t.teardown(() => cache.close())
  await relayB.forMeeting(m.id).ready()
  const snap = await cache.get(m.id)
  t.same(snap?.allowedRegions, ['eu-central', 'eu-west'])
  t.same([...snap!.admittedEndpoints], ['127.0.1.1'])

  const revoked = new Promise((r) => cache.once('revoked', r))
  await home.revocations.revoke(m.id, 'p1', { ttlMs: HOUR })
  t.match(await revoked, { meetingId: m.id, participantId: 'p1' }, "B's relay obeys A's revocations")
  t.equal(isRevokedIn((await cache.get(m.id))!, 'p1'), true)
  await relayB.forMeeting(m.id).audit.append(m.id, { at: 1, actor: 'relay-b1', region: 'eu-west', kind: 'allocation', allow: false, reason: 'participant_revoked' })
  t.equal((await home.audit.read(m.id))[0]?.actor, 'relay-b1', "the relay's decision lands in the home region's audit")

  t.throws(() => own.keys.meeting(m.id), { code: 'ERR_STATE_NOT_HOMED_HERE' }, "B's key builder cannot even name the meeting's keys")
  const b = new Redis(redisB.url)
  t.teardown(() => b.quit())
  // B's own state epoch (state/state-epoch.ts) is region metadata, written on connect.
  const keysInB = (await b.keys('*')).filter((k) => k !== own.keys.stateEpoch())
  t.same(keysInB, [], "B's Redis holds nothing but its state epoch (the relay's fleet registration aside, which it has not made here)")
  const a = new Redis(redisA.url)
  t.teardown(() => a.quit())
  t.ok((await a.keys(`*${m.id}*`)).length >= 4, "the meeting lives in A's Redis")
})
