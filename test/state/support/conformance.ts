/**
 * ONE conformance suite for the state layer, run against every implementation: the
 * memory store, a real standalone Redis and a real 3-master Redis Cluster. Every store
 * takes the same injected clock, so TTL behaviour is tested by moving time by hand.
 */
import type { Test } from 'tap'
import type { RegionState } from '../../../state/region-state.js'
import type { RelayHeartbeat } from '../../../state/fleet.js'
import { DEFAULT_RELAY_TTL_MS, acceptsAllocations } from '../../../state/fleet.js'
import type { NewMeeting, Participant } from '../../../state/meetings.js'
import type { RevocationMessage } from '../../../state/revocation.js'
import type { Subscription } from '../../../state/pubsub.js'
import { liveness } from '../../../geo/policy/liveness.js'
import { PolicyCache } from '../../../state/policy-cache.js'
import { newMeetingId } from '../../../state/meeting-id.js'
import { ManualClock } from './clock.js'

export interface Harness {
  readonly clock: ManualClock
  /** A new state of `region` (as a new process would open it), connected. */
  open(region: string): Promise<RegionState>
  /** Delete everything the harness wrote and close what it opened. */
  dispose(): Promise<void>
}

export type HarnessFactory = () => Promise<Harness>

export const REGION = 'eu-central'
export const OTHER = 'us-east'
const HOUR = 3_600_000

export function beat(id: string, over: Partial<RelayHeartbeat> = {}): RelayHeartbeat {
  return {
    id,
    region: REGION,
    udp: [`127.0.0.1:${3478 + id.length}`],
    tcp: [`127.0.0.1:${3478 + id.length}`],
    capacity: 100,
    version: '0.1.0',
    startedAt: 1,
    load: { allocations: 3, packetsPerSecond: 1200, bytesPerSecond: 900_000, cpu: 0.25 },
    draining: false,
    sentAt: 2,
    ...over,
  }
}

export function meeting(id = newMeetingId(REGION), over: Partial<NewMeeting> = {}): NewMeeting {
  return {
    id,
    tenantId: 'acme',
    residencyMode: 'region',
    allowedRegions: [REGION],
    attendeePolicy: { mode: 'allow', countries: ['DE', 'FR'], unknown: 'deny' },
    settings: {
      passcodeRequired: true, waitingRoom: true, joinBeforeHost: false, hostOnlyScreenShare: true,
      fileTransfer: false, recording: 'host', allowRejoinAfterRemoval: false, capacity: 100, keyMode: 'e2ee',
    },
    createdAt: 1000,
    data: { title: 'board meeting', passcodeHash: 'abc' },
    ...over,
  }
}

export function participant(id: string, over: Partial<Participant> = {}): Participant {
  return {
    id,
    identity: `${id}@acme`,
    role: 'attendee',
    status: 'admitted',
    country: 'DE',
    addresses: [`127.0.1.${id.length}`],
    node: 'cp-1',
    joinedAt: 5000,
    ...over,
  }
}

/** Subscribe, wait until the subscription is active, and hand back the first value to come. */
async function first<T>(subscribe: (l: (v: T) => void) => Promise<Subscription>, accept: (v: T) => boolean = () => true): Promise<{ value: Promise<T> }> {
  let resolve!: (v: T) => void
  const value = new Promise<T>((r) => (resolve = r))
  const sub = await subscribe((v) => { if (accept(v)) resolve(v) })
  // wrapped: an async function returning a bare promise would wait for it
  return { value: value.finally(() => sub.unsubscribe()) }
}

/**
 * The first revocation published for meeting `id`, once the subscription is active. Other
 * meetings' revocations are passed over: on a Cluster a PUBLISH of an earlier test reaches
 * a subscriber on another node over the cluster bus, and may do so after it subscribed.
 */
function revocationOf(s: RegionState, id: string): Promise<{ value: Promise<RevocationMessage> }> {
  return first<RevocationMessage>((l) => s.revocations.subscribe(l), (v) => v.meetingId === id)
}

/** The first event of `name` for meeting `id`. */
function eventFor<T extends { meetingId: string }>(cache: PolicyCache, name: 'invalidated' | 'revoked', id: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (e: T) => {
      if (e.meetingId !== id) return
      cache.off(name, on as never)
      resolve(e)
    }
    cache.on(name, on as never)
  })
}

export function conformance(t: Test, factory: HarnessFactory): void {
  let h: Harness
  let s: RegionState
  t.before(async () => {
    h = await factory()
    s = await h.open(REGION)
  })
  t.teardown(async () => {
    await h?.dispose()
  })

  t.test('presence', async (t) => {
    const lease = (participantId: string, session: string) => ({ meetingId: 'eu-central.0123456789abcdefghjkmnpqrs', participantId, session })
    t.test('a lease runs out unless renewed, is claimed by one caller at a time, and is claimed again if not released', async (t) => {
      const a = lease('p_a', 's1')
      const b = lease('p_b', 's2')
      await s.presence.hold(a, 1000)
      await s.presence.hold(b, 1000)
      h.clock.advance(600)
      await s.presence.renew([a], 1000)
      t.same(await s.presence.claimExpired(500, 10), [], 'nothing ran out yet')
      h.clock.advance(500)
      t.same(await s.presence.claimExpired(500, 10), [b], 'the lease not renewed ran out')
      t.same(await s.presence.claimExpired(500, 10), [], 'a claimed lease is not handed out twice')
      h.clock.advance(500)
      t.same(await s.presence.claimExpired(500, 10), [a, b], 'after its claim ran out unreleased, it is claimed again (and a ran out meanwhile)')
      await s.presence.release(a)
      await s.presence.release(b)
      h.clock.advance(10_000)
      t.same(await s.presence.claimExpired(500, 10), [], 'released leases are gone')
    })
    t.test('renewing a released lease does not take it again', async (t) => {
      const c = lease('p_c', 's3')
      await s.presence.hold(c, 1000)
      await s.presence.release(c)
      await s.presence.renew([c], 1000)
      h.clock.advance(2000)
      t.same(await s.presence.claimExpired(500, 10), [])
    })
  })

  t.test('fleet', async (t) => {
    t.test('a registered relay appears in the live set with its addresses, capacity and load', async (t) => {
      await s.fleet.heartbeat(beat('relay-a'))
      const live = await s.fleet.liveRelays()
      t.equal(live.length, 1)
      t.same(live[0], { ...beat('relay-a'), expiresAt: h.clock.now() + DEFAULT_RELAY_TTL_MS })
      await s.fleet.deregister('relay-a')
    })

    t.test('a dead relay disappears from the live set within its TTL', async (t) => {
      await s.fleet.heartbeat(beat('relay-dead'), 3000)
      await s.fleet.heartbeat(beat('relay-alive'), 3000)
      h.clock.advance(2000)
      await s.fleet.heartbeat(beat('relay-alive'), 3000)
      t.same((await s.fleet.liveRelays()).map((r) => r.id), ['relay-alive', 'relay-dead'])
      h.clock.advance(1000)
      t.same((await s.fleet.liveRelays()).map((r) => r.id), ['relay-alive'], 'gone exactly at its TTL')
      h.clock.advance(2000)
      t.same(await s.fleet.liveRelays(), [], 'a relay that stops beating goes too')
    })

    t.test('a relay that keeps beating stays live past its first TTL', async (t) => {
      for (let i = 0; i < 5; i++) {
        await s.fleet.heartbeat(beat('relay-steady', { load: { allocations: i, packetsPerSecond: 0, bytesPerSecond: 0, cpu: 0 } }), 3000)
        h.clock.advance(1000)
      }
      const live = await s.fleet.liveRelays()
      t.same(live.map((r) => [r.id, r.load.allocations]), [['relay-steady', 4]], 'the latest load is what is read')
      await s.fleet.deregister('relay-steady')
    })

    t.test('a draining relay stays visible but accepts no new allocations', async (t) => {
      await s.fleet.heartbeat(beat('relay-drain', { draining: true }))
      await s.fleet.heartbeat(beat('relay-full', { capacity: 3 }))
      await s.fleet.heartbeat(beat('relay-ok'))
      const live = await s.fleet.liveRelays()
      t.same(live.map((r) => [r.id, acceptsAllocations(r)]), [['relay-drain', false], ['relay-full', false], ['relay-ok', true]])
      for (const r of live) await s.fleet.deregister(r.id)
    })

    t.test("an operator's drain request makes a live relay read as draining at once, and the relay's own beats do not undo it", async (t) => {
      await s.fleet.heartbeat(beat('relay-op'))
      await s.fleet.heartbeat(beat('relay-other'))
      const request = { requestedAt: h.clock.now(), by: 'cli:test', reason: 'kernel upgrade' }
      t.same(await s.fleet.requestDrain('relay-op', request), request)
      let live = await s.fleet.liveRelays()
      t.same(live.map((r) => [r.id, r.draining, acceptsAllocations(r)]), [['relay-op', true, false], ['relay-other', false, true]])
      t.same(live[0]!.drainRequest, request, 'the registry says who asked and why')
      t.notOk('drainRequest' in live[1]!, 'an undrained relay carries no request')
      const reply = await s.fleet.heartbeat(beat('relay-op', { draining: false }))
      t.same(reply, { drainRequest: request }, 'the next beat tells the relay')
      t.same(await s.fleet.heartbeat(beat('relay-other')), { drainRequest: null }, 'and only that relay')
      live = await s.fleet.liveRelays()
      t.equal(live[0]!.draining, true, 'a beat saying draining:false does not overwrite the request')
      t.equal(await s.fleet.cancelDrain('relay-op'), true)
      t.equal(await s.fleet.cancelDrain('relay-op'), false, 'cancelling twice is harmless')
      t.same(await s.fleet.heartbeat(beat('relay-op')), { drainRequest: null })
      live = await s.fleet.liveRelays()
      t.same(live.map((r) => [r.id, r.draining, acceptsAllocations(r)]), [['relay-op', false, true], ['relay-other', false, true]], 'undrained, it takes allocations again')
      for (const r of live) await s.fleet.deregister(r.id)
    })

    t.test('a drain request outlives the relay: after deregistering or expiring it drains again as it comes back', async (t) => {
      await s.fleet.heartbeat(beat('relay-restart'), 3000)
      await s.fleet.requestDrain('relay-restart', { requestedAt: 1, by: 'admin:ops' })
      await s.fleet.deregister('relay-restart')
      t.same(await s.fleet.liveRelays(), [])
      t.same(await s.fleet.drainRequests(), [{ relayId: 'relay-restart', requestedAt: 1, by: 'admin:ops' }], 'listed while the relay is away')
      t.same(await s.fleet.heartbeat(beat('relay-restart'), 3000), { drainRequest: { requestedAt: 1, by: 'admin:ops' } }, 'restarted, its first beat learns it')
      h.clock.advance(3000)
      t.same(await s.fleet.liveRelays(), [], 'expired')
      await s.fleet.heartbeat(beat('relay-restart'), 3000)
      t.same((await s.fleet.liveRelays()).map((r) => [r.id, r.draining]), [['relay-restart', true]], 'expiry does not drop the request either')
      await s.fleet.cancelDrain('relay-restart')
      await s.fleet.deregister('relay-restart')
      t.same(await s.fleet.drainRequests(), [])
    })

    t.test('requesting a drain twice keeps the first request; a relay never seen can be drained ahead of its start', async (t) => {
      const first = await s.fleet.requestDrain('relay-twice', { requestedAt: 10, by: 'cli:a' })
      const second = await s.fleet.requestDrain('relay-twice', { requestedAt: 20, by: 'cli:b', reason: 'again' })
      t.same(first, { requestedAt: 10, by: 'cli:a' })
      t.same(second, first, 'the request in force is the first one')
      await s.fleet.requestDrain('relay-also', { requestedAt: 30, by: 'cli:c' })
      t.same((await s.fleet.drainRequests()).map((r) => r.relayId), ['relay-also', 'relay-twice'], 'ordered by relay id')
      await s.fleet.cancelDrain('relay-twice')
      await s.fleet.cancelDrain('relay-also')
    })

    t.test('a deregistered relay leaves the live set at once', async (t) => {
      await s.fleet.heartbeat(beat('relay-bye'))
      t.equal(await s.fleet.deregister('relay-bye'), true)
      t.equal(await s.fleet.deregister('relay-bye'), false, 'twice is harmless')
      t.same(await s.fleet.liveRelays(), [])
    })

    t.test("a relay cannot join another region's fleet", async (t) => {
      await t.rejects(s.fleet.heartbeat(beat('relay-x', { region: OTHER })), { code: 'ERR_STATE_COMMAND' })
    })

    t.test("fleets of two regions do not see each other's relays", async (t) => {
      const other = await h.open(OTHER)
      await other.fleet.heartbeat(beat('relay-us', { region: OTHER }))
      await s.fleet.heartbeat(beat('relay-eu'))
      t.same((await s.fleet.liveRelays()).map((r) => r.id), ['relay-eu'])
      t.same((await other.fleet.liveRelays()).map((r) => r.id), ['relay-us'])
      await other.fleet.requestDrain('relay-eu', { requestedAt: 1, by: 'cli:wrong-region' })
      t.equal((await s.fleet.liveRelays())[0]!.draining, false, "a drain request in another region's fleet does not drain a relay of this one")
      t.same(await s.fleet.drainRequests(), [])
      await other.fleet.cancelDrain('relay-eu')
      await other.fleet.deregister('relay-us')
      await s.fleet.deregister('relay-eu')
    })
  })

  t.test('meetings', async (t) => {
    t.test('a created meeting reads back at version 1 with its home region', async (t) => {
      const m = meeting()
      const created = await s.meetings.create(m)
      t.ok(created.ok)
      const got = await s.meetings.get(m.id)
      t.same(got, { ...m, homeRegion: REGION, status: 'active', version: 1 })
      t.same(created.ok && created.value, got)
    })

    t.test('creating a meeting twice is refused as exists', async (t) => {
      const m = meeting()
      await s.meetings.create(m)
      t.same(await s.meetings.create(m), { ok: false, refusal: 'exists' })
    })

    t.test('an unknown meeting reads as undefined', async (t) => {
      t.equal(await s.meetings.get(newMeetingId(REGION)), undefined)
      t.same(await s.meetings.update(newMeetingId(REGION), 1, { status: 'locked' }), { ok: false, refusal: 'not_found' })
    })

    t.test('an update at the current version applies and a stale version is refused', async (t) => {
      const m = meeting()
      await s.meetings.create(m)
      const r = await s.meetings.update(m.id, 1, { status: 'locked', allowedRegions: [REGION, OTHER], residencyMode: 'jurisdiction' })
      t.ok(r.ok)
      const got = await s.meetings.get(m.id)
      t.equal(got?.version, 2)
      t.equal(got?.status, 'locked')
      t.same(got?.allowedRegions, [REGION, OTHER])
      t.same(got?.data, m.data, 'fields not changed are kept')
      t.same(await s.meetings.update(m.id, 1, { status: 'active' }), { ok: false, refusal: 'version_conflict' })
      t.equal((await s.meetings.get(m.id))?.status, 'locked')
    })

    t.test('of concurrent updates at the same version exactly one wins', async (t) => {
      const m = meeting()
      await s.meetings.create(m)
      const results = await Promise.all([0, 1, 2, 3, 4].map((i) => s.meetings.update(m.id, 1, { data: { winner: i } })))
      t.equal(results.filter((r) => r.ok).length, 1)
      t.equal(results.filter((r) => !r.ok && r.refusal === 'version_conflict').length, 4)
      t.equal((await s.meetings.get(m.id))?.version, 2)
    })

    t.test('ending a meeting marks it ended, revokes everyone and refuses later joins and updates', async (t) => {
      const m = meeting()
      await s.meetings.create(m)
      await s.meetings.putParticipant(m.id, participant('p1'))
      h.clock.advance(10)
      const ended = await s.meetings.end(m.id, { revokeTtlMs: HOUR })
      t.ok(ended.ok)
      const got = await s.meetings.get(m.id)
      t.equal(got?.status, 'ended')
      t.equal(got?.endedAt, h.clock.now())
      t.equal(await s.revocations.isRevoked(m.id, 'p1'), true)
      t.equal(await s.revocations.isRevoked(m.id, 'someone-else'), true, "'*' covers everyone")
      t.same(await s.meetings.putParticipant(m.id, participant('p2')), { ok: false, refusal: 'ended' })
      t.same(await s.meetings.update(m.id, got!.version, { status: 'active' }), { ok: false, refusal: 'ended' })
      t.same(await s.meetings.end(m.id, { revokeTtlMs: HOUR }), { ok: false, refusal: 'ended' })
      t.ok((await s.meetings.setParticipantStatus(m.id, 'p1', 'left')).ok, 'leaving an ended meeting is still recorded')
    })

    t.test('an ended meeting with a retention disappears when it runs out', async (t) => {
      if (s.kind === 'redis') {
        t.comment('redis retention uses PEXPIRE on real time; covered by the memory run and the key TTL check')
        const m = meeting()
        await s.meetings.create(m)
        await s.meetings.end(m.id, { revokeTtlMs: HOUR, retentionMs: 2 * HOUR })
        const k = s.keys.meeting(m.id)
        const ttl = await s.connection!.command.pttl(k.meeting)
        t.ok(ttl > HOUR && ttl <= 2 * HOUR, `meeting key TTL ${ttl}`)
        t.ok((await s.connection!.command.pttl(k.revoked)) > HOUR, 'revocation lives at least as long')
        const withHistory = meeting()
        await s.meetings.create(withHistory)
        await s.meetings.putParticipant(withHistory.id, participant('p1'))
        await s.meetings.leaveParticipant(withHistory.id, 'p1')
        await s.meetings.end(withHistory.id, { revokeTtlMs: HOUR, retentionMs: 2 * HOUR })
        const departedTtl = await s.connection!.command.pttl(s.keys.meeting(withHistory.id).departed)
        t.ok(departedTtl > HOUR && departedTtl <= 2 * HOUR, `the history of who left goes with it (TTL ${departedTtl})`)
        return
      }
      const m = meeting()
      await s.meetings.create(m)
      await s.meetings.end(m.id, { revokeTtlMs: HOUR, retentionMs: 2 * HOUR })
      h.clock.advance(2 * HOUR - 1)
      t.ok(await s.meetings.get(m.id))
      h.clock.advance(1)
      t.equal(await s.meetings.get(m.id), undefined)
    })

    t.test('admitting a participant adds its addresses to the endpoint set and leaving removes them', async (t) => {
      const m = meeting()
      await s.meetings.create(m)
      await s.meetings.putParticipant(m.id, participant('p1', { status: 'waiting', addresses: ['127.0.1.1', '::1'] }))
      t.same([...(await s.policy.snapshot(m.id))!.admittedEndpoints], [], 'waiting is not admitted')
      await s.meetings.setParticipantStatus(m.id, 'p1', 'admitted')
      t.same([...(await s.policy.snapshot(m.id))!.admittedEndpoints].sort(), ['127.0.1.1', '::1'])
      await s.meetings.setParticipantStatus(m.id, 'p1', 'left')
      t.same([...(await s.policy.snapshot(m.id))!.admittedEndpoints], [])
      t.equal((await s.meetings.getParticipant(m.id, 'p1'))?.status, 'left')
    })

    t.test('an address shared by two participants stays until both have left', async (t) => {
      const m = meeting()
      await s.meetings.create(m)
      await s.meetings.putParticipant(m.id, participant('p1', { addresses: ['127.0.1.9'] }))
      await s.meetings.putParticipant(m.id, participant('p2', { addresses: ['127.0.1.9'] }))
      await s.meetings.setParticipantStatus(m.id, 'p1', 'left')
      t.same([...(await s.policy.snapshot(m.id))!.admittedEndpoints], ['127.0.1.9'])
      await s.meetings.setParticipantStatus(m.id, 'p2', 'removed')
      t.same([...(await s.policy.snapshot(m.id))!.admittedEndpoints], [])
    })

    t.test('re-admitting with a new address moves the endpoint', async (t) => {
      const m = meeting()
      await s.meetings.create(m)
      await s.meetings.putParticipant(m.id, participant('p1', { addresses: ['127.0.1.1'] }))
      await s.meetings.putParticipant(m.id, participant('p1', { addresses: ['127.0.1.2'] }))
      t.same([...(await s.policy.snapshot(m.id))!.admittedEndpoints], ['127.0.1.2'])
    })

    t.test('a removed participant is banned and cannot rejoin unless the meeting allows it', async (t) => {
      const m = meeting()
      await s.meetings.create(m)
      await s.meetings.putParticipant(m.id, participant('p1'))
      t.ok((await s.meetings.setParticipantStatus(m.id, 'p1', 'removed', { ban: true })).ok)
      t.equal(await s.meetings.isBanned(m.id, 'p1'), true)
      t.same(await s.meetings.putParticipant(m.id, participant('p1', { status: 'waiting' })), { ok: false, refusal: 'banned' })
      t.same(await s.meetings.setParticipantStatus(m.id, 'p1', 'admitted'), { ok: false, refusal: 'banned' })
      t.ok((await s.meetings.setParticipantStatus(m.id, 'p1', 'admitted', { allowBanned: true })).ok)
      t.equal(await s.meetings.isBanned(m.id, 'p2'), false)
    })

    t.test('capacity is checked atomically: of joins racing for the last seats only as many as fit are admitted', async (t) => {
      const m = meeting()
      await s.meetings.create(m)
      await s.meetings.putParticipant(m.id, participant('host', { role: 'host' }), { capacity: 3 })
      const racing = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((id) => s.meetings.putParticipant(m.id, participant(id), { capacity: 3 })))
      t.equal(racing.filter((r) => r.ok).length, 2)
      t.equal(racing.filter((r) => !r.ok && r.refusal === 'full').length, 3)
      t.equal(await s.meetings.admittedCount(m.id), 3)
      const admittedIds = (await s.meetings.listParticipants(m.id)).filter((p) => p.status === 'admitted').map((p) => p.id)
      t.equal(admittedIds.length, 3, 'a refused join left no trace')
      t.ok((await s.meetings.putParticipant(m.id, participant('host', { role: 'host', addresses: ['127.0.1.77'] }), { capacity: 3 })).ok, 'an admitted participant updating itself does not need a new seat')
      await s.meetings.setParticipantStatus(m.id, 'host', 'left')
      t.equal(await s.meetings.admittedCount(m.id), 2)
      t.ok((await s.meetings.putParticipant(m.id, participant('f'), { capacity: 3 })).ok, 'a seat freed by leaving can be taken')
      t.ok((await s.meetings.putParticipant(m.id, participant('w', { status: 'waiting' }), { capacity: 3 })).ok, 'waiting takes no seat')
    })

    t.test('host presence follows admitted hosts and co-hosts', async (t) => {
      const m = meeting()
      await s.meetings.create(m)
      t.equal(await s.meetings.hostPresent(m.id), false)
      await s.meetings.putParticipant(m.id, participant('a1'))
      t.equal(await s.meetings.hostPresent(m.id), false, 'an attendee is not a host')
      await s.meetings.putParticipant(m.id, participant('h1', { role: 'host', status: 'waiting' }))
      t.equal(await s.meetings.hostPresent(m.id), false, 'a waiting host is not present')
      await s.meetings.setParticipantStatus(m.id, 'h1', 'admitted')
      await s.meetings.putParticipant(m.id, participant('c1', { role: 'co-host' }))
      t.equal(await s.meetings.hostPresent(m.id), true)
      await s.meetings.setParticipantStatus(m.id, 'h1', 'left')
      t.equal(await s.meetings.hostPresent(m.id), true, 'the co-host is still there')
      await s.meetings.setParticipantStatus(m.id, 'c1', 'left')
      t.equal(await s.meetings.hostPresent(m.id), false)
    })

    t.test('participants list in join order with their statuses', async (t) => {
      const m = meeting()
      await s.meetings.create(m)
      await s.meetings.putParticipant(m.id, participant('late', { joinedAt: 9000 }))
      await s.meetings.putParticipant(m.id, participant('early', { joinedAt: 1000, status: 'waiting', country: 'FR' }))
      await s.meetings.setParticipantStatus(m.id, 'late', 'left')
      const list = await s.meetings.listParticipants(m.id)
      t.same(list, [participant('early', { joinedAt: 1000, status: 'waiting', country: 'FR' }), participant('late', { joinedAt: 9000, status: 'left' })])
      t.same(await s.meetings.listParticipants(newMeetingId(REGION)), [])
    })

    t.test('changing the status of an unknown participant is refused', async (t) => {
      const m = meeting()
      await s.meetings.create(m)
      t.same(await s.meetings.setParticipantStatus(m.id, 'ghost', 'admitted'), { ok: false, refusal: 'unknown_participant' })
      t.same(await s.meetings.putParticipant(newMeetingId(REGION), participant('p1')), { ok: false, refusal: 'not_found' })
    })

    t.test('the admission view reads the meeting, the participant\'s own entry and the admitted and host counts at once', async (t) => {
      const m = meeting()
      await s.meetings.create(m)
      t.equal(await s.meetings.admissionView(newMeetingId(REGION), 'p1'), undefined, 'no meeting, no view')
      const empty = await s.meetings.admissionView(m.id, 'p1')
      t.same(empty, { meeting: await s.meetings.get(m.id), admittedCount: 0, hostCount: 0 })
      await s.meetings.putParticipant(m.id, participant('h1', { role: 'host' }))
      await s.meetings.putParticipant(m.id, participant('a1'))
      await s.meetings.putParticipant(m.id, participant('p1', { status: 'waiting' }))
      const view = await s.meetings.admissionView(m.id, 'p1')
      t.same(view?.previous, participant('p1', { status: 'waiting' }))
      t.equal(view?.admittedCount, 2)
      t.equal(view?.hostCount, 1)
      await s.meetings.update(m.id, 1, { status: 'locked' })
      t.equal((await s.meetings.admissionView(m.id, 'p1'))?.meeting.status, 'locked', 'a change of the record is seen at once')
    })

    t.test('a join answers with the admitted participants right after its own write, in join order', async (t) => {
      const m = meeting()
      await s.meetings.create(m)
      await s.meetings.putParticipant(m.id, participant('b', { joinedAt: 2000 }))
      await s.meetings.putParticipant(m.id, participant('w', { status: 'waiting' }))
      await s.meetings.putParticipant(m.id, participant('gone'))
      await s.meetings.setParticipantStatus(m.id, 'gone', 'left')
      const joined = await s.meetings.joinParticipant(m.id, participant('a', { joinedAt: 1000 }), { capacity: 3 })
      t.same(joined.ok && joined.value.admitted, [participant('a', { joinedAt: 1000 }), participant('b', { joinedAt: 2000 })])
      const waiting = await s.meetings.joinParticipant(m.id, participant('c', { status: 'waiting' }), { capacity: 3 })
      t.same(waiting.ok && waiting.value.admitted.map((p) => p.id), ['a', 'b'], 'a waiting joiner is not in the list')
      await s.meetings.putParticipant(m.id, participant('d'), { capacity: 3 })
      t.same(await s.meetings.joinParticipant(m.id, participant('e'), { capacity: 3 }), { ok: false, refusal: 'full' })
      t.same((await s.meetings.listAdmitted(m.id)).map((p) => p.id), ['a', 'b', 'd'], 'listAdmitted: only the admitted, in join order')
      t.same(await s.meetings.listAdmitted(newMeetingId(REGION)), [])
    })

    t.test('leaving works once, from waiting or admitted, and says which', async (t) => {
      const m = meeting()
      await s.meetings.create(m)
      await s.meetings.putParticipant(m.id, participant('a', { role: 'host', addresses: ['127.0.1.40'] }))
      await s.meetings.putParticipant(m.id, participant('w', { status: 'waiting' }))
      const left = await s.meetings.leaveParticipant(m.id, 'a')
      t.equal(left.ok && left.value.previous, 'admitted')
      t.equal(left.ok && left.value.meetingVersion, 1)
      t.equal(await s.meetings.hostPresent(m.id), false)
      t.same([...(await s.policy.snapshot(m.id))!.admittedEndpoints], [], 'its address left the endpoint set')
      t.same(await s.meetings.leaveParticipant(m.id, 'a'), { ok: false, refusal: 'unknown_participant' }, 'leaving twice is refused')
      const w = await s.meetings.leaveParticipant(m.id, 'w')
      t.equal(w.ok && w.value.previous, 'waiting')
      await s.meetings.putParticipant(m.id, participant('r'))
      await s.meetings.setParticipantStatus(m.id, 'r', 'removed', { ban: true })
      t.same(await s.meetings.leaveParticipant(m.id, 'r'), { ok: false, refusal: 'unknown_participant' }, 'a removed participant does not leave')
      t.equal((await s.meetings.getParticipant(m.id, 'r'))?.status, 'removed')
      t.same(await s.meetings.leaveParticipant(m.id, 'ghost'), { ok: false, refusal: 'unknown_participant' })
    })

    t.test('a leave that names a session leaves only while that session holds the participant', async (t) => {
      const m = meeting()
      await s.meetings.create(m)
      await s.meetings.putParticipant(m.id, participant('a', { session: 'old-socket' }))
      await s.meetings.putParticipant(m.id, participant('a', { session: 'new-socket' }))
      t.same(await s.meetings.leaveParticipant(m.id, 'a', { session: 'old-socket' }), { ok: false, refusal: 'unknown_participant' }, 'the replaced session does not make it leave')
      t.equal((await s.meetings.getParticipant(m.id, 'a'))?.status, 'admitted')
      const left = await s.meetings.leaveParticipant(m.id, 'a', { session: 'new-socket' })
      t.equal(left.ok && left.value.previous, 'admitted', 'the holding session does')
    })

    t.test('only the newest participants who left stay listed; the present, the removed and who came back stay', async (t) => {
      const m = meeting()
      await s.meetings.create(m)
      for (const id of ['l1', 'l2', 'l3', 'back', 'here', 'out']) await s.meetings.putParticipant(m.id, participant(id))
      await s.meetings.setParticipantStatus(m.id, 'out', 'removed', { ban: true })
      for (const id of ['l1', 'back', 'l2']) {
        h.clock.advance(1)
        await s.meetings.leaveParticipant(m.id, id, { departedKept: 2 })
      }
      await s.meetings.putParticipant(m.id, participant('back', { addresses: ['127.0.1.50'] }))
      h.clock.advance(1)
      await s.meetings.leaveParticipant(m.id, 'l3', { departedKept: 2 })
      t.same((await s.meetings.listParticipants(m.id)).map((p) => `${p.id}:${p.status}`).sort(), ['back:admitted', 'here:admitted', 'l2:left', 'l3:left', 'out:removed'])
      t.equal(await s.meetings.getParticipant(m.id, 'l1'), undefined, 'the oldest leaver is pruned')
      t.equal(await s.meetings.isBanned(m.id, 'out'), true, 'bans are not history')
      h.clock.advance(1)
      await s.meetings.leaveParticipant(m.id, 'back', { departedKept: 2 })
      t.same((await s.meetings.listParticipants(m.id)).filter((p) => p.status === 'left').map((p) => p.id).sort(), ['back', 'l3'])
      t.ok((await s.meetings.putParticipant(m.id, participant('l1'))).ok, 'a pruned participant can join again')
    })

    t.test('a host\'s grants and revokes are stored with the participant, concurrent ones all kept', async (t) => {
      const m = meeting()
      await s.meetings.create(m)
      await s.meetings.putParticipant(m.id, participant('p1'))
      const granted = await s.meetings.setGrant(m.id, 'p1', 'screen-share', true)
      t.same(granted.ok && granted.value.grants, { 'screen-share': true })
      await Promise.all([s.meetings.setGrant(m.id, 'p1', 'file-transfer', true), s.meetings.setGrant(m.id, 'p1', 'recording', false), s.meetings.setGrant(m.id, 'p1', 'screen-share', false)])
      t.same((await s.meetings.getParticipant(m.id, 'p1'))?.grants, { 'screen-share': false, 'file-transfer': true, recording: false })
      await s.meetings.leaveParticipant(m.id, 'p1')
      t.same((await s.meetings.admissionView(m.id, 'p1'))?.previous?.grants, { 'screen-share': false, 'file-transfer': true, recording: false }, 'kept after leaving, for a reconnect')
      t.same(await s.meetings.setGrant(m.id, 'ghost', 'recording', true), { ok: false, refusal: 'unknown_participant' })
      await s.meetings.putParticipant(m.id, participant('p2'))
      await s.meetings.setParticipantStatus(m.id, 'p2', 'removed')
      t.same(await s.meetings.setGrant(m.id, 'p2', 'recording', true), { ok: false, refusal: 'unknown_participant' }, 'a removed participant gets nothing')
      t.same(await s.meetings.setGrant(newMeetingId(REGION), 'p1', 'recording', true), { ok: false, refusal: 'not_found' })
      await s.meetings.end(m.id, { revokeTtlMs: HOUR })
      t.same(await s.meetings.setGrant(m.id, 'p1', 'recording', true), { ok: false, refusal: 'ended' })
    })

    t.test("a meeting homed in another region cannot be touched through this region's state", async (t) => {
      const foreign = meeting(newMeetingId(OTHER))
      await t.rejects(s.meetings.create(foreign), { code: 'ERR_STATE_NOT_HOMED_HERE' })
      await t.rejects(s.meetings.get(foreign.id), { code: 'ERR_STATE_NOT_HOMED_HERE' })
      await t.rejects(s.policy.snapshot(foreign.id), { code: 'ERR_STATE_NOT_HOMED_HERE' })
      await t.rejects(s.revocations.revoke(foreign.id, 'p1', { ttlMs: HOUR }), { code: 'ERR_STATE_NOT_HOMED_HERE' })
      await t.rejects(s.audit.append(foreign.id, { at: 1, actor: 'x', kind: 'k', allow: true, reason: 'home_region' }), { code: 'ERR_STATE_NOT_HOMED_HERE' })
    })
  })

  t.test('media keys', async (t) => {
    t.test('a sealed media key rotates by epoch, one winner per epoch, and dies with the meeting', async (t) => {
      const m = meeting()
      await s.meetings.create(m)
      t.equal(await s.mediaKeys.current(m.id), undefined)
      const first = await s.mediaKeys.rotate(m.id, 0, 'sealed-1')
      t.same(first, { ok: true, value: { epoch: 1, sealed: 'sealed-1', createdAt: h.clock.now() } })
      const racing = await Promise.all(['x', 'y', 'z'].map((k) => s.mediaKeys.rotate(m.id, 1, `sealed-2${k}`)))
      t.equal(racing.filter((r) => r.ok).length, 1, 'two nodes rotating at once cannot both win')
      t.equal(racing.filter((r) => !r.ok && r.refusal === 'version_conflict').length, 2)
      const winner = racing.find((r) => r.ok)
      t.same(await s.mediaKeys.current(m.id), winner?.ok && winner.value)
      await s.meetings.end(m.id, { revokeTtlMs: HOUR })
      t.equal(await s.mediaKeys.current(m.id), undefined, 'ending the meeting destroys its key')
      t.same(await s.mediaKeys.rotate(m.id, 2, 'late'), { ok: false, refusal: 'ended' })
      t.same(await s.mediaKeys.rotate(meeting().id, 0, 'k'), { ok: false, refusal: 'not_found' })
    })
  })

  t.test('policy snapshot', async (t) => {
    t.test('one read carries allowed regions, mode, attendee policy, endpoints, revocations and the ended flag', async (t) => {
      const m = meeting(undefined, { residencyMode: 'jurisdiction', allowedRegions: [REGION, OTHER] })
      await s.meetings.create(m)
      await s.meetings.putParticipant(m.id, participant('p1', { addresses: ['127.0.1.1'] }))
      await s.meetings.putParticipant(m.id, participant('p2', { addresses: ['127.0.1.2'] }))
      await s.revocations.revoke(m.id, 'p2', { ttlMs: HOUR })
      const snap = await s.policy.snapshot(m.id)
      t.match(snap, {
        meetingId: m.id, homeRegion: REGION, tenantId: 'acme', status: 'active',
        residencyMode: 'jurisdiction', allowedRegions: [REGION, OTHER], attendeePolicy: m.attendeePolicy,
        revokedAll: false, readAt: h.clock.now(),
      })
      t.same([...snap!.admittedEndpoints].sort(), ['127.0.1.1', '127.0.1.2'])
      t.same([...snap!.revokedParticipants], ['p2'])
      t.equal(liveness(snap!, 'p2').allow, false)
      t.equal(liveness(snap!, 'p1').allow, true)
      await s.meetings.end(m.id, { revokeTtlMs: HOUR })
      const after = await s.policy.snapshot(m.id)
      t.equal(after?.status, 'ended')
      t.equal(after?.revokedAll, true)
      t.equal(liveness(after!, 'p1').allow, false)
    })

    t.test('the policy version grows with every change a relay must see', async (t) => {
      const m = meeting()
      await s.meetings.create(m)
      const versions = [(await s.policy.snapshot(m.id))!.version]
      await s.meetings.putParticipant(m.id, participant('p1'))
      versions.push((await s.policy.snapshot(m.id))!.version)
      await s.meetings.update(m.id, 1, { allowedRegions: [REGION, OTHER] })
      versions.push((await s.policy.snapshot(m.id))!.version)
      await s.revocations.revoke(m.id, 'p1', { ttlMs: HOUR })
      versions.push((await s.policy.snapshot(m.id))!.version)
      await s.meetings.end(m.id, { revokeTtlMs: HOUR })
      versions.push((await s.policy.snapshot(m.id))!.version)
      for (let i = 1; i < versions.length; i++) t.ok(versions[i]! > versions[i - 1]!, `version ${i}: ${versions.join(' < ')}`)
    })

    t.test('an unknown meeting has no snapshot', async (t) => {
      t.equal(await s.policy.snapshot(newMeetingId(REGION)), undefined)
    })
  })

  t.test('revocation', async (t) => {
    t.test('a revocation is published to subscribers with its publish time', async (t) => {
      const m = meeting()
      // subscribe resolves once the subscription is active, so the publish cannot be missed
      const { value: got } = await revocationOf(s, m.id)
      const sent = await s.revocations.revoke(m.id, 'p1', { ttlMs: HOUR })
      t.same(sent, { meetingId: m.id, participantId: 'p1', at: h.clock.now() })
      t.same(await got, sent)
    })

    t.test('a revoked participant stays revoked for a relay that missed the message', async (t) => {
      const m = meeting()
      await s.meetings.create(m)
      await s.revocations.revoke(m.id, 'p1', { ttlMs: HOUR })
      // a relay that subscribes only now never saw the message, yet the stored state answers
      const late = await h.open(REGION)
      t.equal(await late.revocations.isRevoked(m.id, 'p1'), true)
      t.equal(await late.revocations.isRevoked(m.id, 'p2'), false)
      t.equal((await late.policy.snapshot(m.id))?.revokedParticipants.has('p1'), true)
      const early = meeting()
      await s.revocations.revoke(early.id, 'p9', { ttlMs: HOUR })
      t.equal(await late.revocations.isRevoked(early.id, 'p9'), true, 'even for a meeting whose record is not there (yet)')
      await s.meetings.create(early)
      t.equal((await late.policy.snapshot(early.id))?.revokedParticipants.has('p9'), true, 'and still once it is')
    })

    t.test('a revocation lasts as long as the longest credential and no longer', async (t) => {
      const m = meeting()
      await s.revocations.revoke(m.id, 'p1', { ttlMs: HOUR })
      h.clock.advance(HOUR - 1)
      t.equal(await s.revocations.isRevoked(m.id, 'p1'), true)
      h.clock.advance(1)
      t.equal(await s.revocations.isRevoked(m.id, 'p1'), false)
    })

    t.test("revoking '*' revokes every participant of the meeting and no other meeting", async (t) => {
      const m = meeting()
      const { value: got } = await revocationOf(s, m.id)
      const sent = await s.revocations.revoke(m.id, '*', { ttlMs: HOUR })
      t.same(await got, { meetingId: m.id, at: sent.at }, 'no participantId: the whole meeting')
      t.equal(await s.revocations.isRevoked(m.id, 'anyone'), true)
      t.equal(await s.revocations.isRevoked(meeting().id, 'anyone'), false)
    })

    t.test('removing a participant with a revocation publishes it in the same step', async (t) => {
      const m = meeting()
      await s.meetings.create(m)
      await s.meetings.putParticipant(m.id, participant('p1'))
      const { value: got } = await revocationOf(s, m.id)
      await s.meetings.setParticipantStatus(m.id, 'p1', 'removed', { ban: true, revokeTtlMs: HOUR })
      t.same(await got, { meetingId: m.id, participantId: 'p1', at: h.clock.now() })
      t.equal(await s.revocations.isRevoked(m.id, 'p1'), true)
      const snap = await s.policy.snapshot(m.id)
      t.same([...snap!.admittedEndpoints], [], 'its address left the endpoint set')
      t.equal(liveness(snap!, 'p1').allow, false)
    })

    t.test('ending a meeting publishes a meeting-wide revocation', async (t) => {
      const m = meeting()
      await s.meetings.create(m)
      const { value: got } = await revocationOf(s, m.id)
      await s.meetings.end(m.id, { revokeTtlMs: HOUR })
      t.same(await got, { meetingId: m.id, at: h.clock.now() })
    })
  })

  t.test('audit', async (t) => {
    t.test('decisions read back in order with all their fields', async (t) => {
      const m = meeting()
      const events = [
        { at: h.clock.now(), actor: 'relay-a', kind: 'allocation', allow: true, reason: 'home_region' as const, region: REGION, participantId: 'p1', relayId: 'relay-a', addresses: ['127.0.1.1'], countries: ['DE'] },
        { at: h.clock.now(), actor: 'relay-a', kind: 'peer', allow: false, reason: 'peer_not_in_meeting' as const, detail: '127.0.9.9 is not admitted', addresses: ['127.0.9.9'] },
        { at: h.clock.now() + 1, actor: 'cp-1', kind: 'admission', allow: false, reason: 'country_not_in_allow_list' as const, countries: ['US'] },
      ]
      const ids: string[] = []
      for (const e of events) ids.push(await s.audit.append(m.id, e))
      const read = await s.audit.read(m.id)
      t.same(read, events.map((e, i) => ({ ...e, id: ids[i] })))
      t.same([...ids].sort((a, b) => (a < b ? -1 : 1)), ids, 'ids increase')
    })

    t.test('the audit can be read in pages', async (t) => {
      const m = meeting()
      for (let i = 0; i < 5; i++) await s.audit.append(m.id, { at: i, actor: 'cp-1', kind: 'k', allow: true, reason: 'home_region', detail: String(i) })
      const first = await s.audit.read(m.id, { count: 2 })
      const rest = await s.audit.read(m.id, { after: first[1]!.id })
      t.same([...first, ...rest].map((r) => r.detail), ['0', '1', '2', '3', '4'])
      t.same(await s.audit.read(meeting().id), [])
    })

    t.test('the audit stream is bounded', async (t) => {
      const m = meeting()
      // the store under test was opened with auditMaxLength 50 (see the harnesses)
      for (let i = 0; i < 250; i++) await s.audit.append(m.id, { at: i, actor: 'cp-1', kind: 'k', allow: true, reason: 'home_region', detail: String(i) })
      const all = await s.audit.read(m.id)
      t.ok(all.length >= 50 && all.length < 250, `kept ${all.length} of 250 (MAXLEN ~ trims whole nodes)`)
      t.equal(all.at(-1)?.detail, '249', 'the newest are kept')
    })
  })

  t.test('bus', async (t) => {
    t.test('a message reaches every subscriber of its channel and no other channel', async (t) => {
      const a: unknown[] = []
      const b: unknown[] = []
      const other: unknown[] = []
      let check!: () => void
      const both = new Promise<void>((resolve) => (check = () => void (a.length && b.length && resolve())))
      await s.bus.subscribe('meeting.x', (p) => { a.push(p); check() })
      await s.bus.subscribe('meeting.x', (p) => { b.push(p); check() })
      await s.bus.subscribe('meeting.y', (p) => other.push(p))
      await s.bus.publish('meeting.x', { type: 'offer', sdp: 'v=0' })
      await both
      // a marker on y after x: once it arrives, anything misrouted from x would have too
      const { value: marker } = await first<unknown>((l) => s.bus.subscribe('meeting.y', l))
      await s.bus.publish('meeting.y', 'marker')
      await marker
      t.same(a, [{ type: 'offer', sdp: 'v=0' }])
      t.same(b, [{ type: 'offer', sdp: 'v=0' }])
      t.same(other, ['marker'])
    })

    t.test('an unsubscribed handler receives nothing more', async (t) => {
      const got: unknown[] = []
      const sub = await s.bus.subscribe('meeting.z', (p) => got.push(p))
      const { value: stays } = await first<unknown>((l) => s.bus.subscribe('meeting.z', l))
      await sub.unsubscribe()
      await sub.unsubscribe()
      await s.bus.publish('meeting.z', 1)
      await stays
      t.same(got, [])
    })

    t.test("one region's bus never delivers to another region's nodes", async (t) => {
      const other = await h.open(OTHER)
      const leaked: unknown[] = []
      await other.bus.subscribe('signal', (p) => leaked.push(p))
      const { value: home } = await first<unknown>((l) => s.bus.subscribe('signal', l))
      await s.bus.publish('signal', 'eu only')
      t.equal(await home, 'eu only')
      const { value: marker } = await first<unknown>((l) => other.bus.subscribe('signal', l))
      await other.bus.publish('signal', 'us marker')
      await marker
      t.same(leaked, ['us marker'])
    })
  })

  t.test('policy cache', async (t) => {
    t.test('a cached policy is reused until an invalidation says it changed', async (t) => {
      const cache = new PolicyCache({ resolve: () => s, now: h.clock.now })
      t.teardown(() => cache.close())
      const m = meeting()
      await s.meetings.create(m)
      const first = await cache.get(m.id)
      t.equal(await cache.get(m.id), first, 'the same snapshot object: no second read')
      const invalidated = eventFor(cache, 'invalidated', m.id)
      await s.meetings.putParticipant(m.id, participant('p1', { addresses: ['127.0.1.1'] }))
      await invalidated
      const fresh = await cache.get(m.id)
      t.not(fresh, first)
      t.ok(fresh!.version > first!.version)
      t.same([...fresh!.admittedEndpoints], ['127.0.1.1'])
    })

    t.test('a revocation reaches the cache as an event with its publish time and makes the policy stale', async (t) => {
      const cache = new PolicyCache({ resolve: () => s, now: h.clock.now })
      t.teardown(() => cache.close())
      const m = meeting()
      await s.meetings.create(m)
      await s.meetings.putParticipant(m.id, participant('p1'))
      const before = await cache.get(m.id)
      t.equal(liveness(before!, 'p1').allow, true)
      const revoked = eventFor(cache, 'revoked', m.id)
      h.clock.advance(5)
      const sent = await s.revocations.revoke(m.id, 'p1', { ttlMs: HOUR })
      const msg = await revoked
      t.same(msg, { ...sent, receivedAt: h.clock.now() })
      t.equal(liveness((await cache.get(m.id))!, 'p1').allow, false)
      t.equal(cache.lastKnown(m.id)?.revokedParticipants.has('p1'), true)
    })

    t.test('the cache falls back to a fresh read after its TTL', async (t) => {
      const cache = new PolicyCache({ resolve: () => s, now: h.clock.now, ttlMs: 1000 })
      t.teardown(() => cache.close())
      const m = meeting()
      await s.meetings.create(m)
      const first = await cache.get(m.id)
      h.clock.advance(999)
      t.equal(await cache.get(m.id), first)
      h.clock.advance(1)
      t.not(await cache.get(m.id), first)
    })

    t.test('an unknown meeting is not cached', async (t) => {
      const cache = new PolicyCache({ resolve: () => s, now: h.clock.now })
      t.teardown(() => cache.close())
      const m = meeting()
      t.equal(await cache.get(m.id), undefined)
      await s.meetings.create(m)
      t.equal((await cache.get(m.id))?.meetingId, m.id)
    })
  })
}
