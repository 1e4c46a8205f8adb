import t from 'tap'

import type { NetworkConfig } from '../../../config/network-config.js'

import { MeetingService, type JoinResult } from '../../../control-plane/services/meeting-service.js'
import type { MeetingEvent } from '../../../control-plane/services/meeting-events.js'
import { GeoLocator } from '../../../geo/lookup.js'
import type { LiveRelay } from '../../../state/fleet.js'
import type { MemoryRegion } from '../../../state/memory/backend.js'
import { openRegionState, type RegionState } from '../../../state/region-state.js'
import { network } from '../app/fixture.js'

const net = network()
const acme = net.config.tenantById('acme')!
const geo = new GeoLocator({ database: null, overrides: [{ cidr: '127.1.0.0/16', country: 'DE' }, { cidr: '127.4.0.0/16', country: 'FR' }, { cidr: '127.5.0.0/16', country: 'CN' }] })
let clock = Date.parse('2026-11-25T10:00:00Z')
const now = () => clock

function relay(id: string, region: string, allocations = 0): LiveRelay {
  return {
    id, region, udp: [`127.9.0.${id.length}:3478`], tcp: [], capacity: 10, version: 't', startedAt: 0,
    load: { allocations, packetsPerSecond: 0, bytesPerSecond: 0, cpu: 0 }, draining: false, sentAt: 0, expiresAt: Number.MAX_SAFE_INTEGER,
  }
}

/** One region, `nodes` control-plane nodes sharing one memory backend (as they would share Redis). */
const states: RegionState[] = []
function region(nodes = 1, fleet: Record<string, LiveRelay[]> = {}, config: () => NetworkConfig = () => net.config) {
  const backends = new Map<string, MemoryRegion>()
  const services = Array.from({ length: nodes }, (_, i) => {
    const state = openRegionState({ region: 'eu-central', redis: { memory: true }, memoryBackends: backends, warn: () => undefined, now })
    states.push(state)
    return new MeetingService({
      region: 'eu-central', nodeId: `cp-${i + 1}`, config, state, geo, now,
      liveRelays: async (r) => fleet[r] ?? [],
    })
  })
  return services
}

const tenant = { kind: 'tenant', tenantId: 'acme' } as const
const token = (svc: MeetingService, meetingId: string, identity: string, role: 'host' | 'co-host' | 'attendee' = 'attendee') =>
  svc.mintToken(meetingId, acme, { identity, role }).then((m) => m.token)
const outcome = (r: JoinResult) => (r.outcome === 'denied' ? `denied:${r.code}` : r.outcome === 'waiting' ? `waiting:${r.reason}` : 'admitted')

t.test('an attendee waits for the host, then for the waiting room, and a host admits it; the welcome carries relays', async (t) => {
  const [svc] = region(1, { 'eu-central': [relay('eu-1', 'eu-central')] })
  const m = await svc!.create(acme, { waitingRoom: true, passcode: '424242' })
  const early = await svc!.join({ token: await token(svc!, m.id, 'ann'), passcode: '424242', address: '127.1.0.5' })
  t.equal(outcome(early), 'waiting:host_not_present')
  const host = await svc!.join({ token: await token(svc!, m.id, 'hal', 'host'), address: '127.1.0.6' })
  t.equal(outcome(host), 'admitted', 'hosts need no passcode and skip the waiting room')
  const again = await svc!.join({ token: await token(svc!, m.id, 'ann'), passcode: '424242', address: '127.1.0.5' })
  t.equal(outcome(again), 'waiting:waiting_room')
  if (again.outcome !== 'waiting' || host.outcome !== 'admitted') return
  const admitted = await svc!.admit(m.id, again.participant.id, { ...tenant, kind: 'participant', participantId: host.participant.id })
  t.equal(admitted.status, 'admitted')
  const welcome = await svc!.welcome(m.id, again.participant.id)
  t.same(welcome.participants.map((p) => p.identity).sort(), ['ann', 'hal'])
  t.equal(welcome.iceServers.length, 1)
  t.match(welcome.iceServers[0]!.username, `:${m.id}:${again.participant.id}`)
  await t.rejects(svc!.admit(m.id, again.participant.id, tenant), { code: 'SR_NOT_WAITING' }, 'admitting twice is refused')
})

t.test('each admission rule refuses with its own code', async (t) => {
  const [svc] = region()
  const m = await svc!.create(acme, { joinBeforeHost: true, passcode: '111111', capacity: 2, attendeePolicy: { mode: 'block', countries: ['CN'] } })
  t.equal(outcome(await svc!.join({ token: 'not.a.jwt', address: '127.1.0.1' })), 'denied:SR_TOKEN_MALFORMED')
  t.equal(outcome(await svc!.join({ token: await token(svc!, m.id, 'a'), address: '127.1.0.1' })), 'denied:SR_PASSCODE_REQUIRED')
  t.equal(outcome(await svc!.join({ token: await token(svc!, m.id, 'a'), passcode: '222222', address: '127.1.0.1' })), 'denied:SR_PASSCODE_WRONG')
  const cn = await svc!.join({ token: await token(svc!, m.id, 'c'), passcode: '111111', address: '127.5.0.1' })
  t.equal(outcome(cn), 'denied:SR_COUNTRY_FORBIDDEN')
  t.equal(cn.outcome === 'denied' && cn.verdict?.reason, 'country_blocked')
  t.equal(outcome(await svc!.join({ token: await token(svc!, m.id, 'a'), passcode: '111111', address: '127.4.0.1' })), 'admitted', 'France is not blocked')
  t.equal(outcome(await svc!.join({ token: await token(svc!, m.id, 'b'), passcode: '111111', address: '127.1.0.2' })), 'admitted')
  t.equal(outcome(await svc!.join({ token: await token(svc!, m.id, 'd'), passcode: '111111', address: '127.1.0.3' })), 'denied:SR_MEETING_FULL')
  await svc!.lock(m.id, tenant)
  t.equal(outcome(await svc!.join({ token: await token(svc!, m.id, 'e'), passcode: '111111', address: '127.1.0.4' })), 'denied:SR_MEETING_LOCKED')
  const otherToken = await token(svc!, m.id, 'x')
  await svc!.end(m.id, tenant)
  t.equal(outcome(await svc!.join({ token: otherToken, passcode: '111111', address: '127.1.0.4' })), 'denied:SR_MEETING_ENDED')
  const refusals = (await states[states.length - 1]!.audit.read(m.id)).filter((e) => e.kind === 'admission' && !e.allow).map((e) => e.reason)
  t.same(refusals, ['passcode_required', 'passcode_wrong', 'country_blocked', 'meeting_full', 'meeting_locked', 'meeting_ended'],
    'each refusal is audited under its own reason (the malformed token names no meeting, so it has no stream)')
})

t.test('a jurisdiction-mode meeting is offered relays of its allowed regions only, nearest first', async (t) => {
  const [svc] = region(1, { 'eu-central': [relay('eu-1', 'eu-central', 9)], 'eu-north': [relay('north-1', 'eu-north')], 'us-east': [relay('us-1', 'us-east')] })
  const m = await svc!.create(acme, { residencyMode: 'jurisdiction', passcodeRequired: false, joinBeforeHost: true })
  t.same(m.allowedRegions, ['eu-central', 'eu-north'])
  const joined = await svc!.join({ token: await token(svc!, m.id, 'a'), address: '127.1.0.1' })
  if (joined.outcome !== 'admitted') return t.fail(outcome(joined))
  const users = joined.iceServers.map((s) => s.urls[0])
  t.same(users, ['turn:127.9.0.4:3478?transport=udp', 'turn:127.9.0.7:3478?transport=udp'], 'eu-1 (Frankfurt, nearest) then north-1; never us-1')
})

t.test('an ICE server lists a relay\'s UDP, TCP and TLS (turns:) endpoints, in that order, with one meeting-scoped credential', async (t) => {
  const withTls: LiveRelay = { ...relay('eu-t', 'eu-central'), tcp: ['127.9.0.4:3478'], tls: ['turn-t.example.net:443'] }
  const [svc] = region(1, { 'eu-central': [withTls] })
  const m = await svc!.create(acme, { passcodeRequired: false, joinBeforeHost: true })
  const joined = await svc!.join({ token: await token(svc!, m.id, 'a'), address: '127.1.0.1' })
  if (joined.outcome !== 'admitted') return t.fail(outcome(joined))
  t.same(joined.iceServers.map((s) => s.urls), [['turn:127.9.0.4:3478?transport=udp', 'turn:127.9.0.4:3478?transport=tcp', 'turns:turn-t.example.net:443?transport=tcp']])
})

t.test('events reach the other nodes of the region exactly once, with the node that caused them', async (t) => {
  const [a, b] = region(2)
  await a!.listen()
  await b!.listen()
  const onB: MeetingEvent[] = []
  const onA: MeetingEvent[] = []
  for (const type of ['meeting-created', 'meeting-locked', 'meeting-ended'] as const) {
    b!.on(type, (e: MeetingEvent) => onB.push(e))
    a!.on(type, (e: MeetingEvent) => onA.push(e))
  }
  const m = await a!.create(acme, {})
  await b!.lock(m.id, tenant)
  await a!.end(m.id, tenant)
  await new Promise<void>((resolve) => setImmediate(resolve))
  t.same(onA.map((e) => `${e.type}@${e.origin}`), ['meeting-created@cp-1', 'meeting-locked@cp-2', 'meeting-ended@cp-1'])
  t.same(onB.map((e) => `${e.type}@${e.origin}`), ['meeting-created@cp-1', 'meeting-locked@cp-2', 'meeting-ended@cp-1'])
  await a!.close()
  await b!.close()
  await t.rejects(a!.create(acme, {}), /closed/)
})

t.test('in managed key mode leaving or being removed asks for a key rotation; the leaver\'s address leaves the endpoint set', async (t) => {
  const [svc] = region()
  const m = await svc!.create(acme, { keyMode: 'managed', passcodeRequired: false, joinBeforeHost: true })
  const rotations: string[] = []
  svc!.on('key-rotation-needed', (e) => rotations.push(e.reason))
  const a = await svc!.join({ token: await token(svc!, m.id, 'a'), address: '127.1.0.1' })
  const b = await svc!.join({ token: await token(svc!, m.id, 'b'), address: '127.1.0.2' })
  if (a.outcome !== 'admitted' || b.outcome !== 'admitted') return t.fail('not admitted')
  const state = states[states.length - 1]!
  t.ok((await state.policy.snapshot(m.id))?.admittedEndpoints.has('127.1.0.1'))
  await svc!.leave(m.id, a.participant.id)
  t.notOk((await state.policy.snapshot(m.id))?.admittedEndpoints.has('127.1.0.1'), 'the leaver\'s address is no longer an endpoint')
  await svc!.leave(m.id, a.participant.id)
  await svc!.remove(m.id, b.participant.id, tenant)
  t.same(rotations, ['participant-left', 'participant-removed'], 'one rotation each; leaving twice is a no-op')
  const p = await svc!.participants(m.id, 'acme')
  t.same(p.map((x) => [x.identity, x.status]).sort(), [['a', 'left'], ['b', 'removed']])
})

t.test('a token of another tenant for this meeting finds no meeting', async (t) => {
  const [svc] = region()
  const m = await svc!.create(acme, {})
  const globex = net.config.tenantById('globex')!
  const { mintParticipantToken } = await import('../../../control-plane/tokens/participant-token.js')
  const forged = await mintParticipantToken({ tenantId: 'globex', secret: globex.tokenSecret, meetingId: m.id, identity: 'g', role: 'host', now })
  t.equal(outcome(await svc!.join({ token: forged, address: '127.1.0.1' })), 'denied:SR_MEETING_NOT_FOUND')
})

t.test('a participant reconnecting to a full meeting keeps its seat, and a host does not count as present for its own attendee token', async (t) => {
  const [svc] = region()
  const m = await svc!.create(acme, { passcodeRequired: false, waitingRoom: false, joinBeforeHost: false, capacity: 2 })
  t.equal(outcome(await svc!.join({ token: await token(svc!, m.id, 'hal', 'host'), address: '127.1.0.6' })), 'admitted')
  t.equal(outcome(await svc!.join({ token: await token(svc!, m.id, 'ann'), address: '127.1.0.5' })), 'admitted')
  t.equal(outcome(await svc!.join({ token: await token(svc!, m.id, 'bob'), address: '127.1.0.7' })), 'denied:SR_MEETING_FULL')
  const back = await svc!.join({ token: await token(svc!, m.id, 'ann'), address: '127.1.0.8' })
  t.equal(outcome(back), 'admitted', 'the seat it holds is its own')
  if (back.outcome !== 'admitted') return
  t.same(back.participants.map((p) => p.identity).sort(), ['ann', 'hal'], 'the welcome lists the admitted, itself once')
  // The only host reconnecting with an attendee token is not a host present for itself.
  const m2 = await svc!.create(acme, { passcodeRequired: false, waitingRoom: false, joinBeforeHost: false })
  t.equal(outcome(await svc!.join({ token: await token(svc!, m2.id, 'hal', 'host'), address: '127.1.0.6' })), 'admitted')
  t.equal(outcome(await svc!.join({ token: await token(svc!, m2.id, 'hal'), address: '127.1.0.6' })), 'waiting:host_not_present')
})

t.test('who left is listed only up to the history cap, and the residency audit keeps every one of them', async (t) => {
  const [svc] = region()
  const state = states[states.length - 1]!
  const m = await svc!.create(acme, { passcodeRequired: false, waitingRoom: false, joinBeforeHost: true })
  const ids: string[] = []
  for (const who of ['a', 'b', 'c', 'd']) {
    const r = await svc!.join({ token: await token(svc!, m.id, who), address: '127.1.0.5' })
    if (r.outcome !== 'admitted') return t.fail(`${who} not admitted`)
    ids.push(r.participant.id)
    clock += 1
  }
  for (const id of ids.slice(0, 3)) {
    await state.meetings.leaveParticipant(m.id, id, { departedKept: 2 })
    clock += 1
  }
  t.same((await svc!.participants(m.id, 'acme')).map((p) => `${p.identity}:${p.status}`), ['b:left', 'c:left', 'd:admitted'], 'the oldest leaver is no longer listed')
  const admittedInAudit = new Set((await state.audit.read(m.id)).filter((e) => e.kind === 'admission' && e.allow).map((e) => e.participantId))
  t.same([...admittedInAudit].sort(), [...ids].sort(), 'every admission stays in the audit stream the report is built from')
})

t.test('a participant whose presence lease runs out unrenewed leaves (participant-left); one back on a newer session is no new arrival and stays', async (t) => {
  const [a, b] = region(2)
  const m = await a!.create(acme, { waitingRoom: false, passcodeRequired: false })
  const events: MeetingEvent[] = []
  b!.on('participant-left', (e) => events.push(e))
  b!.on('participant-admitted', (e) => events.push(e))
  const lease = { presenceLeaseMs: 1000 }
  const ann = await a!.join({ token: await token(a!, m.id, 'ann', 'host'), address: '127.1.0.5', session: 'ann-1', ...lease })
  const bo = await a!.join({ token: await token(a!, m.id, 'bo'), address: '127.1.0.6', session: 'bo-1', ...lease })
  if (ann.outcome !== 'admitted' || bo.outcome !== 'admitted') return t.fail('both admitted')
  // Node a dies: nothing renews. bo comes back on node b at once.
  clock += 400
  const back = await b!.join({ token: await token(b!, m.id, 'bo'), address: '127.1.0.6', session: 'bo-2', ...lease })
  t.equal(outcome(back), 'admitted')
  t.match(events.at(-1), { type: 'participant-admitted', participantId: bo.participant.id, session: 'bo-2', reconnected: true }, 'the reconnect is marked as one')
  t.equal(await b!.settleExpiredPresence(1000), 0, 'nothing runs out before the lease')
  clock += 700
  t.equal(await b!.settleExpiredPresence(1000), 2, "ann's lease and bo's old one ran out")
  t.same(events.filter((e) => e.type === 'participant-left').map((e) => (e as { participantId: string }).participantId), [ann.participant.id], 'only ann left')
  t.equal((await b!.participant(m.id, bo.participant.id))?.status, 'admitted', 'bo stays, held by its newer session')
  t.equal((await b!.participant(m.id, ann.participant.id))?.status, 'left')
  await b!.renewPresence([{ meetingId: m.id, participantId: bo.participant.id, session: 'bo-2' }], 1000)
  clock += 900
  t.equal(await b!.settleExpiredPresence(1000), 0, 'a renewed lease does not run out')
})

t.test('a join whose presence lease cannot be taken fails and leaves no seat behind', async (t) => {
  const [svc] = region(1)
  const m = await svc!.create(acme, { waitingRoom: false, passcodeRequired: false })
  const state = states.at(-1)!
  const hold = state.presence.hold
  ;(state.presence as { hold: typeof hold }).hold = async () => { throw new Error('redis went away') }
  t.teardown(() => { (state.presence as { hold: typeof hold }).hold = hold })
  await t.rejects(svc!.join({ token: await token(svc!, m.id, 'cy', 'host'), address: '127.1.0.7', session: 'cy-1', presenceLeaseMs: 1000 }), /redis went away/)
  const cy = (await svc!.participants(m.id)).find((p) => p.identity === 'cy')
  t.ok(cy === undefined || cy.status === 'left', `no admitted seat without a lease (${cy?.status})`)
})

/** The test network with eu-central's control-plane settings changed. */
function withControlPlane(change: Partial<NetworkConfig['regions'][number]['controlPlane']>): () => NetworkConfig {
  const base = net.config.regionById('eu-central')!
  const changed = { ...base, controlPlane: { ...base.controlPlane, ...change } }
  const config: NetworkConfig = { ...net.config, regionById: (id) => (id === 'eu-central' ? changed : net.config.regionById(id)) }
  return () => config
}

t.test('a join with a token issued beyond the region\'s clock skew in the future is denied as not yet valid', async (t) => {
  const { mintParticipantToken } = await import('../../../control-plane/tokens/participant-token.js')
  const [svc] = region()
  const m = await svc!.create(acme, { passcodeRequired: false, joinBeforeHost: true })
  const ahead = (ms: number, identity: string) => mintParticipantToken({ tenantId: 'acme', secret: acme.tokenSecret, meetingId: m.id, identity, role: 'attendee', ttlSeconds: 3600, now: () => clock + ms })
  t.equal(outcome(await svc!.join({ token: await ahead(10 * 365 * 86400_000, 'far'), address: '127.1.0.1' })), 'denied:SR_TOKEN_NOT_YET_VALID', 'ten years ahead')
  t.equal(outcome(await svc!.join({ token: await ahead(120_000, 'near'), address: '127.1.0.1' })), 'denied:SR_TOKEN_NOT_YET_VALID', 'two minutes ahead, default skew 60 s')
  const [lenient] = region(1, {}, withControlPlane({ tokenClockSkewSeconds: 300 }))
  const m2 = await lenient!.create(acme, { passcodeRequired: false, joinBeforeHost: true })
  const near = await mintParticipantToken({ tenantId: 'acme', secret: acme.tokenSecret, meetingId: m2.id, identity: 'near', role: 'attendee', now: () => clock + 120_000 })
  t.equal(outcome(await lenient!.join({ token: near, address: '127.1.0.1' })), 'admitted', 'the region\'s tokenClockSkewSeconds widens it')
})

t.test('wrong passcodes are slowed down, then refused with a retry hint, even the right one; the region\'s nodes count together', async (t) => {
  const [a, b] = region(2)
  const m = await a!.create(acme, { joinBeforeHost: true, passcode: 'right-passcode' })
  const guess = (svc: MeetingService, passcode: string, identity = 'mallory') => token(svc, m.id, identity).then((tok) => svc.join({ token: tok, passcode, address: '127.1.0.9' }))
  t.equal(outcome(await guess(a!, 'guess-1')), 'denied:SR_PASSCODE_WRONG')
  t.equal(outcome(await guess(b!, 'guess-2')), 'denied:SR_PASSCODE_WRONG', 'on another node of the region')
  t.equal(outcome(await guess(a!, 'guess-3')), 'denied:SR_PASSCODE_WRONG')
  const held = await guess(b!, 'right-passcode')
  t.equal(outcome(held), 'denied:SR_PASSCODE_ATTEMPTS', 'the fourth try waits, right or not: no oracle')
  t.equal(held.outcome === 'denied' && held.retryAfterSeconds, 1)
  t.equal(outcome(await guess(a!, 'right-passcode', 'alice')), 'admitted', 'another identity is not held back')
  clock += 1000
  t.equal(outcome(await guess(a!, 'right-passcode')), 'admitted', 'after the wait the right passcode gets in')
  t.equal(outcome(await guess(a!, 'guess-4')), 'denied:SR_PASSCODE_WRONG', 'and the count starts over')
  const audit = (await states[states.length - 1]!.audit.read(m.id)).filter((e) => e.kind === 'admission' && !e.allow).map((e) => e.detail)
  t.ok(audit.includes('SR_PASSCODE_ATTEMPTS'), 'the refusal is audited')
})

t.test('an identity that used up its wrong passcodes is refused for the window, and so is a meeting guessed at by many', async (t) => {
  const limits = { minLength: 6, windowSeconds: 600, freeFailures: 100, backoffSeconds: 1, maxFailuresPerIdentity: 3, maxFailuresPerMeeting: 5 }
  const [svc] = region(1, {}, withControlPlane({ passcodes: limits }))
  const m = await svc!.create(acme, { joinBeforeHost: true, passcode: 'right-passcode' })
  const guess = (passcode: string, identity: string) => token(svc!, m.id, identity).then((tok) => svc!.join({ token: tok, passcode, address: '127.1.0.9' }))
  for (let i = 0; i < 3; i++) t.equal(outcome(await guess(`wrong-${i}`, 'mallory')), 'denied:SR_PASSCODE_WRONG')
  const out = await guess('right-passcode', 'mallory')
  t.equal(outcome(out), 'denied:SR_PASSCODE_ATTEMPTS')
  t.equal(out.outcome === 'denied' && out.retryAfterSeconds, 600, 'until the window after the last failure ends')
  for (let i = 0; i < 2; i++) t.equal(outcome(await guess(`wrong-${i}`, `sybil-${i}`)), 'denied:SR_PASSCODE_WRONG')
  t.equal(outcome(await guess('right-passcode', 'alice')), 'denied:SR_PASSCODE_ATTEMPTS', 'five wrong ones in the meeting: everyone waits')
  t.equal(outcome(await token(svc!, m.id, 'hal', 'host').then((tok) => svc!.join({ token: tok, address: '127.1.0.9' }))), 'admitted', 'a host needs no passcode')
  clock += 600_000
  t.equal(outcome(await guess('right-passcode', 'mallory')), 'admitted', 'the window over, it may try again')
})

t.test('passcodes shorter than the region\'s minimum are refused at create and update; generated ones are long enough', async (t) => {
  const [svc] = region()
  await t.rejects(svc!.create(acme, { passcode: '1234' }), { code: 'SR_PASSCODE_TOO_WEAK', statusCode: 422 }, 'four digits: the default minimum is 6')
  const m = await svc!.create(acme, { passcode: '123456' })
  await t.rejects(svc!.update(m.id, tenant, { passcode: '12345' }), { code: 'SR_PASSCODE_TOO_WEAK' })
  t.equal((await svc!.get(m.id)).passcode, '123456', 'the refused update changed nothing')
  t.match((await svc!.create(acme, { passcodeRequired: true })).passcode, /^\d{12}$/, 'generated: 12 digits')
  const [strict] = region(1, {}, withControlPlane({ passcodes: { minLength: 16, windowSeconds: 900, freeFailures: 3, backoffSeconds: 1, maxFailuresPerIdentity: 10, maxFailuresPerMeeting: 100 } }))
  await t.rejects(strict!.create(acme, { passcode: 'fifteen-chars!!' }), { code: 'SR_PASSCODE_TOO_WEAK' })
  t.match((await strict!.create(acme, { passcodeRequired: true })).passcode, /^\d{16}$/, 'generated passcodes follow a larger minimum')
})
