import t from 'tap'

import { emptyActivity, foldAudit } from '../../../control-plane/dashboard/meeting-activity.js'
import { buildView, countByCountry, decisionView, healthOf, STALE_AFTER_MS, type ViewInput } from '../../../control-plane/dashboard/view-model.js'
import type { LiveRelay } from '../../../state/fleet.js'
import type { MeetingRecord, Participant } from '../../../state/meetings.js'

const NOW = 1_800_000_000_000

function relay(id: string, over: Partial<LiveRelay> = {}): LiveRelay {
  return {
    id, region: 'eu-central', udp: ['127.0.0.1:3478'], tcp: [], capacity: 100, version: '0.1.0', startedAt: 1,
    load: { allocations: 10, packetsPerSecond: 500, bytesPerSecond: 250_000, cpu: 0.2 }, draining: false, sentAt: NOW - 400, expiresAt: NOW + 2600, ...over,
  }
}

function record(id: string, over: Partial<MeetingRecord> = {}): MeetingRecord {
  return {
    id, tenantId: 'acme', homeRegion: 'eu-central', residencyMode: 'region', allowedRegions: ['eu-central'],
    attendeePolicy: { mode: 'block', countries: ['CN'], unknown: 'allow' },
    settings: { passcodeRequired: true, waitingRoom: false, joinBeforeHost: false, hostOnlyScreenShare: true, fileTransfer: false, recording: 'host', allowRejoinAfterRemoval: false, capacity: 10, keyMode: 'e2ee' },
    status: 'active', createdAt: NOW - 60_000, version: 3, data: { title: 'Board sync', passcode: 'never-shown' }, ...over,
  }
}

const person = (id: string, country: string | undefined, status: Participant['status'] = 'admitted'): Participant => ({
  id, identity: `${id}@acme`, role: 'attendee', status, addresses: ['127.1.0.2'], node: 'cp-1', joinedAt: NOW - 1000, ...(country ? { country } : {}),
})

const regions: ViewInput['regions'] = [
  { id: 'eu-central', name: 'eu-central', country: 'DE', jurisdictions: ['DE', 'EU', 'EEA'], controlPlaneUrl: 'http://127.0.0.1:8080/' },
  { id: 'us-east', name: 'us-east', country: 'US', jurisdictions: ['US'], controlPlaneUrl: 'http://127.0.0.1:8081' },
]

t.test('relay health: stale beats first, then draining, then full, else ok', async (t) => {
  t.equal(healthOf(relay('a'), NOW), 'ok')
  t.equal(healthOf(relay('a', { draining: true }), NOW), 'draining')
  t.equal(healthOf(relay('a', { load: { allocations: 100, packetsPerSecond: 0, bytesPerSecond: 0, cpu: 0 } }), NOW), 'full')
  t.equal(healthOf(relay('a', { draining: true, sentAt: NOW - STALE_AFTER_MS - 1 }), NOW), 'stale')
})

t.test('participants are counted by country, most first, unplaced ones as ??', async (t) => {
  t.same(countByCountry([{ country: 'FR' }, { country: 'DE' }, { country: 'FR' }, {}]), [{ country: 'FR', count: 2 }, { country: '??', count: 1 }, { country: 'DE', count: 1 }])
})

t.test('the view shows every region fleet, this region marked, and an unreadable fleet as such', async (t) => {
  const view = buildView({
    region: 'eu-central', nodeId: 'cp-1', now: NOW, regions, meetings: [],
    fleets: new Map([['eu-central', { relays: [relay('eu-c2'), relay('eu-c1', { draining: true })] }], ['us-east', { error: 'state of region us-east is unavailable' }]]),
  })
  t.same(view.regions.map((r) => [r.id, r.here, r.available, r.relays.map((x) => x.id)]), [['eu-central', true, true, ['eu-c1', 'eu-c2']], ['us-east', false, false, []]])
  t.equal(view.regions[0]!.dashboardUrl, 'http://127.0.0.1:8080/dashboard')
  t.equal(view.regions[1]!.error, 'state of region us-east is unavailable')
  t.same(view.regions[0]!.totals, { relays: 2, draining: 1, allocations: 20, capacity: 200 })
  t.same(view.totals.relays, 2)
  t.equal(view.scope, 'meetings homed in eu-central')
})

t.test("a relay's TURN-over-TLS endpoints reach the view; a relay without TLS shows none", async (t) => {
  const view = buildView({
    region: 'eu-central', nodeId: 'cp-1', now: NOW, regions, meetings: [],
    fleets: new Map([['eu-central', { relays: [relay('eu-c1', { tls: ['turn-1.example.net:443'] }), relay('eu-c2')] }], ['us-east', { relays: [] }]]),
  })
  t.same(view.regions[0]!.relays.map((x) => [x.id, x.tls]), [['eu-c1', ['turn-1.example.net:443']], ['eu-c2', []]])
})

t.test('a meeting shows its home, mode, policy, participants by country and who each relay carries', async (t) => {
  const activity = foldAudit(emptyActivity(), [
    { id: '1-0', at: NOW, actor: 'eu-c1', kind: 'allocation', allow: true, reason: 'home_region', participantId: 'p_a', relayId: 'eu-c1' },
    { id: '1-1', at: NOW, actor: 'eu-c1', kind: 'allocation', allow: true, reason: 'home_region', participantId: 'p_gone', relayId: 'eu-c1' },
    { id: '1-2', at: NOW, actor: 'cp-1', kind: 'admission', allow: false, reason: 'country_blocked' },
  ])
  const view = buildView({
    region: 'eu-central', nodeId: 'cp-1', now: NOW, regions, fleets: new Map([['eu-central', { relays: [relay('eu-c1')] }], ['us-east', { relays: [] }]]),
    meetings: [{ record: record('eu-central.m1'), participants: [person('p_a', 'DE'), person('p_b', 'FR'), person('p_w', 'FR', 'waiting'), person('p_gone', 'DE', 'left')], activity }],
  })
  const m = view.meetings[0]!
  t.match(m, { id: 'eu-central.m1', title: 'Board sync', homeRegion: 'eu-central', residencyMode: 'region', admitted: 2, waiting: 1, refusals: 1 })
  t.same(m.byCountry, [{ country: 'FR', count: 2 }, { country: 'DE', count: 1 }], 'admitted and waiting, not those who left')
  t.same(m.participants.find((p) => p.id === 'p_a')?.allocatedOn, ['eu-c1'])
  t.same(m.participants.find((p) => p.id === 'p_gone')?.allocatedOn, [], 'someone who left is carried by nobody')
  t.equal(view.regions[0]!.relays[0]!.carrying, 1)
  t.same(view.countries, [{ country: 'DE', count: 1 }, { country: 'FR', count: 1 }], 'region-wide: admitted only')
  t.notMatch(JSON.stringify(view), 'never-shown', "the meeting's passcode never reaches the page")
})

t.test('running meetings come first, newest first; ended ones after', async (t) => {
  const read = (id: string, over: Partial<MeetingRecord>) => ({ record: record(id, over), participants: [], activity: emptyActivity() })
  const view = buildView({
    region: 'eu-central', nodeId: 'cp-1', now: NOW, regions, fleets: new Map(),
    meetings: [read('eu-central.old', { createdAt: 1 }), read('eu-central.ended', { status: 'ended', createdAt: 5, endedAt: 6 }), read('eu-central.new', { createdAt: 9 })],
  })
  t.same(view.meetings.map((m) => m.id), ['eu-central.new', 'eu-central.old', 'eu-central.ended'])
  t.equal(view.totals.meetingsRunning, 2)
})

t.test('a decision reaches the page without its addresses', async (t) => {
  const d = decisionView({ id: '1-0', meetingId: 'eu-central.m1', at: NOW, actor: 'eu-c1', kind: 'allocation', allow: false, reason: 'country_blocked', addresses: ['127.5.0.9:4000'], countries: ['CN'] })
  t.same(d, { id: '1-0', meetingId: 'eu-central.m1', at: NOW, actor: 'eu-c1', kind: 'allocation', allow: false, tone: 'refusal', reason: 'country_blocked', countries: ['CN'] })
})
