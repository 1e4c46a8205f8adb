/**
 * The hub over a real region state (the in-process backend; the Redis and Cluster
 * behaviour of the stores it reads is the state conformance suite's business).
 */
import t from 'tap'

import { DashboardHub, type HubSource } from '../../../control-plane/dashboard/dashboard-hub.js'
import type { ServerMessage } from '../../../control-plane/dashboard/protocol.js'
import type { AuditEvent } from '../../../state/audit.js'
import type { LiveRelay } from '../../../state/fleet.js'
import type { MemoryRegion } from '../../../state/memory/backend.js'
import { newMeetingId } from '../../../state/meeting-id.js'
import { openRegionState, type RegionState } from '../../../state/region-state.js'
import { within } from './support.js'

const NOW = Date.now()
const regions = [{ id: 'eu-central', name: 'eu-central', country: 'DE', jurisdictions: ['DE', 'EU'], controlPlaneUrl: 'http://127.0.0.1:8080' }]

function open(): RegionState {
  return openRegionState({ region: 'eu-central', redis: { memory: true }, memoryBackends: new Map<string, MemoryRegion>(), warn: () => {} })
}

function source(state: RegionState, over: Partial<HubSource> = {}): HubSource {
  return { region: 'eu-central', nodeId: 'cp-1', state, regions: () => regions, liveRelays: async () => [], now: Date.now, ...over }
}

async function meeting(state: RegionState, title: string): Promise<string> {
  const id = newMeetingId('eu-central')
  await state.meetings.create({
    id, tenantId: 'acme', residencyMode: 'region', allowedRegions: ['eu-central'], attendeePolicy: { mode: 'open', countries: [], unknown: 'allow' },
    settings: { passcodeRequired: false, waitingRoom: false, joinBeforeHost: true, hostOnlyScreenShare: true, fileTransfer: false, recording: 'host', allowRejoinAfterRemoval: false, capacity: 10, keyMode: 'e2ee' },
    createdAt: NOW, data: { title },
  })
  await state.meetingIndex.add(id)
  return id
}

const decision = (over: Partial<AuditEvent>): AuditEvent => ({ at: NOW, actor: 'cp-1', kind: 'admission', allow: true, reason: 'home_region', ...over })

/** Collects a subscriber's messages; `next` waits (bounded) for one that matches. */
function collector() {
  const got: ServerMessage[] = []
  const waiters = new Set<() => void>()
  return {
    got,
    listener: (m: ServerMessage) => {
      got.push(m)
      for (const w of [...waiters]) w()
    },
    next<T extends ServerMessage['type']>(type: T, match: (m: Extract<ServerMessage, { type: T }>) => boolean = () => true): Promise<Extract<ServerMessage, { type: T }>> {
      return within(new Promise((resolve) => {
        const check = () => {
          const m = got.find((x) => x.type === type && match(x as Extract<ServerMessage, { type: T }>))
          if (m) {
            waiters.delete(check)
            resolve(m as Extract<ServerMessage, { type: T }>)
          }
        }
        waiters.add(check)
        check()
      }), `a '${type}' message from the hub`, 3000)
    },
  }
}

t.test('a subscriber gets a snapshot of the indexed meetings and the recent decisions at once', async (t) => {
  const state = open()
  t.teardown(() => state.close())
  const id = await meeting(state, 'Board sync')
  await state.audit.append(id, decision({ kind: 'admission', allow: false, reason: 'country_blocked', countries: ['CN'] }))
  const hub = new DashboardHub(source(state), { intervalMs: 20 })
  t.teardown(() => hub.close())
  const c = collector()
  hub.subscribe(c.listener)
  const snap = await c.next('snapshot')
  t.same(snap.view.meetings.map((m) => [m.id, m.title, m.refusals]), [[id, 'Board sync', 1]])
  const first = await c.next('decisions')
  t.equal(first.reset, true, 'the first batch replaces whatever the page had')
  t.same(first.decisions.map((d) => [d.meetingId, d.tone, d.reason]), [[id, 'refusal', 'country_blocked']])
})

t.test('new decisions arrive once each, in order, without a reload of the rest', async (t) => {
  const state = open()
  t.teardown(() => state.close())
  const id = await meeting(state, 'm')
  const hub = new DashboardHub(source(state), { intervalMs: 20 })
  t.teardown(() => hub.close())
  const c = collector()
  hub.subscribe(c.listener)
  await c.next('decisions', (m) => m.reset)
  await state.audit.append(id, decision({ detail: 'one' }))
  await state.audit.append(id, decision({ detail: 'two', kind: 'peer', allow: false, reason: 'peer_not_in_meeting', actor: 'eu-c1' }))
  await c.next('decisions', (m) => m.decisions.some((d) => d.detail === 'two'))
  const incremental = c.got.filter((m): m is Extract<ServerMessage, { type: 'decisions' }> => m.type === 'decisions' && !m.reset)
  t.same(incremental.flatMap((m) => m.decisions.map((d) => d.detail)), ['one', 'two'], 'each exactly once')
})

t.test('a late subscriber gets the current view and the recent decisions straight away', async (t) => {
  const state = open()
  t.teardown(() => state.close())
  const id = await meeting(state, 'm')
  await state.audit.append(id, decision({ detail: 'early' }))
  const hub = new DashboardHub(source(state), { intervalMs: 20 })
  t.teardown(() => hub.close())
  const first = collector()
  hub.subscribe(first.listener)
  await first.next('snapshot')
  const late = collector()
  hub.subscribe(late.listener)
  t.same(late.got.map((m) => m.type), ['snapshot', 'decisions'], 'synchronously, before the next refresh')
  t.same((late.got[1] as Extract<ServerMessage, { type: 'decisions' }>).decisions.map((d) => d.detail), ['early'])
})

t.test('fleets are read for every region; a region whose registry fails is shown as unreadable', async (t) => {
  const state = open()
  t.teardown(() => state.close())
  const two = [...regions, { id: 'us-east', name: 'us-east', country: 'US', jurisdictions: ['US'], controlPlaneUrl: 'http://127.0.0.1:8081' }]
  const beat = { id: 'eu-c1', region: 'eu-central', udp: [], tcp: [], capacity: 10, version: 'x', startedAt: 1, load: { allocations: 1, packetsPerSecond: 0, bytesPerSecond: 0, cpu: 0 }, draining: false, sentAt: Date.now(), expiresAt: Date.now() + 3000 } satisfies LiveRelay
  const hub = new DashboardHub(source(state, {
    regions: () => two,
    liveRelays: async (r) => {
      if (r === 'us-east') throw new Error('state of region us-east is unavailable')
      return [beat]
    },
  }), { intervalMs: 20 })
  t.teardown(() => hub.close())
  const c = collector()
  hub.subscribe(c.listener)
  const snap = await c.next('snapshot')
  t.same(snap.view.regions.map((r) => [r.id, r.available, r.relays.length, r.error]), [['eu-central', true, 1, undefined], ['us-east', false, 0, 'state of region us-east is unavailable']])
})

t.test('nothing is read while no page is open', async (t) => {
  const state = open()
  t.teardown(() => state.close())
  let lists = 0
  const counted = { ...state, meetingIndex: { ...state.meetingIndex, list: (limit?: number) => (lists++, state.meetingIndex.list(limit)) } }
  const hub = new DashboardHub(source(counted as RegionState), { intervalMs: 10 })
  t.teardown(() => hub.close())
  const c = collector()
  const off = hub.subscribe(c.listener)
  await c.next('snapshot')
  off()
  await hub.settled() // a refresh under way may finish
  t.ok(lists > 0, 'the index was read while the page was open')
  t.equal(hub.scheduled, false, 'no refresh is scheduled after the last page left, so nothing more is read')
  t.equal(hub.subscribers, 0)
})

t.test('a state that cannot be read is reported to the pages, and the next refresh recovers', async (t) => {
  const state = open()
  t.teardown(() => state.close())
  let failing = true
  const flaky = { ...state, meetingIndex: { ...state.meetingIndex, list: async (limit?: number) => {
    if (failing) throw new Error('connection refused')
    return state.meetingIndex.list(limit)
  } } }
  const errors: unknown[] = []
  const hub = new DashboardHub(source(flaky as RegionState), { intervalMs: 20, onError: (e) => errors.push(e) })
  t.teardown(() => hub.close())
  const c = collector()
  hub.subscribe(c.listener)
  const err = await c.next('error')
  t.match(err, { code: 'SR_STATE_UNAVAILABLE', message: /eu-central.*connection refused/ })
  t.ok(errors.length >= 1, 'and logged through onError')
  failing = false
  await c.next('snapshot')
  t.pass('a snapshot follows once the state answers')
})

t.test('a closed hub refuses new pages with a coded error', async (t) => {
  const state = open()
  t.teardown(() => state.close())
  const hub = new DashboardHub(source(state))
  hub.close()
  t.throws(() => hub.subscribe(() => {}), { code: 'ERR_CP_CLOSED' })
})
