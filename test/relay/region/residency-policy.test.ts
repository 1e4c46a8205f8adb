/**
 * ResidencyPolicy only composes geo/policy's decisions (liveness, allowed set, attendee,
 * peer) over the meeting's snapshot: one table of every combination that matters, in the
 * order the hook asks them, over the in-process memory state of the home region.
 */
import t, { type Test } from 'tap'

import { GeoLocator } from '../../../geo/lookup.js'
import { compilePeerPolicy, checkPeer } from '../../../relay/peer-safety/index.js'
import type { AllocationContext, PeerContext } from '../../../relay/policy.js'
import { AuditSink } from '../../../relay/region/audit-sink.js'
import { FleetView } from '../../../relay/region/fleet-view.js'
import { ResidencyPolicy } from '../../../relay/region/residency-policy.js'
import type { MemoryRegion } from '../../../state/memory/backend.js'
import { newMeetingId } from '../../../state/meeting-id.js'
import type { NewMeeting } from '../../../state/meetings.js'
import { PolicyCache } from '../../../state/policy-cache.js'
import { openRegionState } from '../../../state/region-state.js'

const HOME = 'eu-central'
const HOUR = 3_600_000
const geo = new GeoLocator({ database: null, overrides: [{ cidr: '127.1.0.0/16', country: 'DE' }, { cidr: '127.5.0.0/16', country: 'CN' }] })
const peerPolicy = compilePeerPolicy({ allow: ['127.0.0.0/8'] })

function meeting(over: Partial<NewMeeting> = {}): NewMeeting {
  return {
    id: newMeetingId(HOME), tenantId: 'acme', residencyMode: 'jurisdiction', allowedRegions: [HOME, 'eu-north'],
    attendeePolicy: { mode: 'block', countries: ['CN'], unknown: 'allow' },
    settings: {
      passcodeRequired: false, waitingRoom: false, joinBeforeHost: true, hostOnlyScreenShare: true,
      fileTransfer: false, recording: 'host', allowRejoinAfterRemoval: false, capacity: 100, keyMode: 'e2ee',
    },
    createdAt: 1000, data: {},
    ...over,
  }
}

/** The home region's state, one meeting per shape the table needs, and a policy for a relay of `relayRegion`. */
async function setup(t: Test) {
  const backends = new Map<string, MemoryRegion>()
  const state = openRegionState({ region: HOME, redis: { memory: true }, memoryBackends: backends, warn: () => undefined })
  const north = openRegionState({ region: 'eu-north', redis: { memory: true }, memoryBackends: backends, warn: () => undefined })
  const cache = new PolicyCache({ resolve: () => state })
  const audit = new AuditSink({ resolve: () => state })
  t.teardown(async () => { await audit.close(); await cache.close(); await state.close(); await north.close() })
  const fleet = new FleetView({ region: (id) => (id === 'eu-north' ? north : state) })
  await north.fleet.heartbeat({
    id: 'eu-n-1', region: 'eu-north', udp: ['127.7.0.1:3478'], tcp: [], capacity: 10, version: 't', startedAt: 0,
    load: { allocations: 0, packetsPerSecond: 0, bytesPerSecond: 0, cpu: 0 }, draining: false, sentAt: 0,
  }, 60_000)

  const live = meeting()
  const regionOnly = meeting({ residencyMode: 'region', allowedRegions: [HOME] })
  const allowList = meeting({ attendeePolicy: { mode: 'allow', countries: ['DE'], unknown: 'deny' } })
  const ended = meeting()
  for (const m of [live, regionOnly, allowList, ended]) await state.meetings.create(m)
  await state.meetings.putParticipant(live.id, { id: 'p1', identity: 'p1@acme', role: 'attendee', status: 'admitted', addresses: ['127.1.0.9'], node: 'cp-1', joinedAt: 1 })
  await state.revocations.revoke(live.id, 'gone', { ttlMs: HOUR })
  await state.meetings.end(ended.id, { revokeTtlMs: HOUR })

  const policy = (relayRegion: string) => new ResidencyPolicy({
    relayId: `relay-${relayRegion}`, region: relayRegion, cache, fleet, geo, audit,
    isDeniedRange: (ip) => !checkPeer(ip, peerPolicy).allow,
  })
  const ids = { live: live.id, regionOnly: regionOnly.id, allowList: allowList.id, ended: ended.id, unknown: newMeetingId(HOME), foreign: newMeetingId('mars-1') }
  return { state, audit, policy, ids }
}

type Ids = Awaited<ReturnType<typeof setup>>['ids']

function ctx(meetingId: string | undefined, participantId: string | undefined, client = '127.1.0.5'): AllocationContext {
  return { identity: { username: 'u', meetingId, participantId }, clientAddress: client, clientPort: 50000, transport: 'udp' }
}

t.test('an allocation is allowed only for a live meeting and participant, a relay of its allowed set, and an admitted attendee location', async (t) => {
  const { policy, ids } = await setup(t)
  const cases: Array<[why: string, relayRegion: string, meeting: keyof Ids | undefined, participant: string, client: string, allow: boolean, reason: string]> = [
    ['the home region relay admits a placed attendee of a live meeting', HOME, 'live', 'p1', '127.1.0.5', true, 'home_region'],
    ['another region of the allowed set admits it as in jurisdiction', 'eu-north', 'live', 'p1', '127.1.0.5', true, 'in_jurisdiction'],
    ['a region outside the allowed set refuses', 'us-east', 'live', 'p1', '127.1.0.5', false, 'region_outside_allowed_set'],
    ['a region-mode meeting refuses a relay of another region', 'eu-north', 'regionOnly', 'p1', '127.1.0.5', false, 'region_outside_allowed_set'],
    ['a blocked country is refused at allocation too (guarantee 6)', HOME, 'live', 'p1', '127.5.0.5', false, 'country_blocked'],
    ['an unplaced address follows the block-list\'s unknown: allow', HOME, 'live', 'p1', '127.3.0.5', true, 'home_region'],
    ['an allow-list refuses an unplaced address', HOME, 'allowList', 'p1', '127.3.0.5', false, 'country_unknown'],
    ['a revoked participant cannot allocate again', HOME, 'live', 'gone', '127.1.0.5', false, 'participant_revoked'],
    ['revocation is checked before region membership', 'us-east', 'live', 'gone', '127.1.0.5', false, 'participant_revoked'],
    ['an ended meeting refuses everyone', HOME, 'ended', 'p1', '127.1.0.5', false, 'meeting_ended'],
    ['ended is checked before region membership and location', 'us-east', 'ended', 'p1', '127.5.0.5', false, 'meeting_ended'],
    ['a meeting id the home region does not hold is unknown', HOME, 'unknown', 'p1', '127.1.0.5', false, 'meeting_unknown'],
    ['a meeting of a region this network does not have is not homed here', HOME, 'foreign', 'p1', '127.1.0.5', false, 'meeting_not_homed_here'],
    ['a credential naming no meeting is refused', HOME, undefined, 'p1', '127.1.0.5', false, 'meeting_unknown'],
  ]
  for (const [why, relayRegion, m, participant, client, allow, reason] of cases) {
    const v = await policy(relayRegion).allocation(ctx(m === undefined ? undefined : ids[m], participant, client))
    t.match(v, { allow, reason }, why)
  }
})

t.test('a peer is allowed only as a relay of the allowed set or an admitted endpoint of a live meeting, never in a denied range', async (t) => {
  const { policy, ids } = await setup(t)
  const cases: Array<[why: string, meeting: keyof Ids, participant: string, peer: string, allow: boolean, reason: string]> = [
    ['an admitted endpoint of the meeting', 'live', 'p1', '127.1.0.9', true, 'peer_is_admitted_endpoint'],
    ['an IPv4-mapped form of an admitted endpoint', 'live', 'p1', '::ffff:127.1.0.9', true, 'peer_is_admitted_endpoint'],
    ['a relay of a region in the allowed set', 'live', 'p1', '127.7.0.1', true, 'peer_is_relay_of_meeting'],
    ['a relay of a region outside a region-mode set', 'regionOnly', 'p1', '127.7.0.1', false, 'peer_not_in_meeting'],
    ['an address that is neither', 'live', 'p1', '127.1.0.10', false, 'peer_not_in_meeting'],
    ['a denied range, even when it could be a relay', 'live', 'p1', '10.0.0.1', false, 'peer_denied_range'],
    ['not an address', 'live', 'p1', 'example.com', false, 'peer_denied_range'],
    ['a revoked participant permits nothing', 'live', 'gone', '127.1.0.9', false, 'participant_revoked'],
    ['an ended meeting permits nothing', 'ended', 'p1', '127.1.0.9', false, 'meeting_ended'],
  ]
  for (const [why, m, participant, peer, allow, reason] of cases) {
    const peerCtx: PeerContext = { ...ctx(ids[m], participant), peerAddress: peer, peerPort: 40000, via: 'create-permission' }
    t.match(await policy(HOME).peer(peerCtx), { allow, reason }, why)
  }
})

t.test('every decision, allowed or denied, is audited in the meeting\'s home region; one of no region here is not', async (t) => {
  const { state, audit, policy, ids } = await setup(t)
  const relay = policy('eu-north')
  await relay.allocation(ctx(ids.live, 'p1'))
  await relay.allocation(ctx(ids.live, 'p1', '127.5.0.5'))
  await relay.peer({ ...ctx(ids.live, 'p1'), peerAddress: '127.1.0.10', peerPort: 1, via: 'channel-bind' })
  await relay.allocation(ctx(ids.foreign, 'p1'))
  await audit.flush()
  const stream = await state.audit.read(ids.live)
  t.same(stream.map((e) => [e.kind, e.allow, e.reason]), [
    ['allocation', true, 'in_jurisdiction'],
    ['allocation', false, 'country_blocked'],
    ['peer', false, 'peer_not_in_meeting'],
  ])
  t.match(stream[1], { actor: 'relay-eu-north', region: 'eu-north', participantId: 'p1', countries: ['CN'], addresses: ['127.5.0.5:50000'] })
  t.equal(audit.dropped, 0, 'nothing was queued for the meeting of no region')
})
