/**
 * A relay that belongs to a region enforces guarantees 1, 2, 5 and 6 with the meeting's
 * policy read from its home region's Redis, and audits every decision (guarantee 7).
 * Real relay sockets on loopback, a real Redis at 127.0.0.1:6379 under a unique prefix;
 * 127.x client addresses stand for attendees in different countries (geo overrides).
 */
import { randomBytes } from 'node:crypto'
import t from 'tap'
import { Redis } from 'ioredis'

import { mintTurnCredential } from '../../../relay/auth/credentials.js'
import { startRegionRelay, type RegionRelay } from '../../../relay/region/region-relay.js'
import { newMeetingId } from '../../../state/meeting-id.js'
import { openRegionState, type RegionState } from '../../../state/region-state.js'
import type { Participant } from '../../../state/meetings.js'
import { OPEN_MEETING_SETTINGS, testNetwork } from '../../support/test-network.js'
import { TurnClient, TurnError } from '../../support/turn-client.js'

const EU_SECRET = 'eu-relay-secret-0001'
const US_SECRET = 'us-relay-secret-0001'
const REDIS = 'redis://127.0.0.1:6379'

const config = testNetwork(
  [
    { id: 'eu-central', country: 'DE', secret: EU_SECRET, redis: REDIS, relays: ['eu-r1'] },
    { id: 'us-east', country: 'US', secret: US_SECRET, redis: REDIS },
  ],
  { '127.20.0.0/16': 'DE', '127.21.0.0/16': 'FR', '127.22.0.0/16': 'CN' },
)

const prefix = `t-resid-${randomBytes(4).toString('hex')}`
const policy = { mode: 'block' as const, countries: ['CN'], unknown: 'deny' as const }
const settings = OPEN_MEETING_SETTINGS

let relay: RegionRelay
let eu: RegionState
let us: RegionState
let relayPort: number
const clients: TurnClient[] = []

async function meeting(region: RegionState, allowedRegions: string[]): Promise<string> {
  const id = newMeetingId(region.region)
  const created = await region.meetings.create({ id, tenantId: 'acme', residencyMode: 'region', allowedRegions, attendeePolicy: policy, settings, createdAt: Date.now() })
  if (!created.ok) throw new Error(`meeting not created: ${created.refusal}`)
  return id
}

async function admit(region: RegionState, meetingId: string, id: string, address: string): Promise<void> {
  const p: Participant = { id, identity: id, role: 'attendee', status: 'admitted', addresses: [address], node: 'test', joinedAt: Date.now() }
  const r = await region.meetings.putParticipant(meetingId, p)
  if (!r.ok) throw new Error(`participant not admitted: ${r.refusal}`)
}

async function client(meetingId: string, participantId: string, from: string, secret = EU_SECRET): Promise<TurnClient> {
  const cred = mintTurnCredential({ secret, meetingId, participantId, ttlSeconds: 600, now: Date.now })
  const c = await TurnClient.connect({ transport: 'udp', host: '127.0.0.1', port: relayPort, username: cred.username, password: cred.password, localAddress: from })
  clients.push(c)
  return c
}

async function refusal(p: Promise<unknown>): Promise<number> {
  try {
    await p
  } catch (err) {
    if (err instanceof TurnError) return err.code
    throw err
  }
  return 0
}

async function auditOf(meetingId: string, region = eu) {
  await relay.audit.flush()
  return region.audit.read(meetingId)
}

t.before(async () => {
  relay = await startRegionRelay({ config, region: 'eu-central', id: 'eu-r1', metrics: null, statePrefix: prefix, heartbeatMs: 200 })
  relayPort = relay.node.addresses.find((a) => a.transport === 'udp')!.port
  eu = openRegionState({ region: 'eu-central', redis: { url: REDIS }, prefix })
  us = openRegionState({ region: 'us-east', redis: { url: REDIS }, prefix })
  await Promise.all([eu.ready(), us.ready()])
  await relay.heartbeat.beatNow()
})

t.teardown(async () => {
  await Promise.all(clients.map((c) => c.close()))
  await relay.close()
  const r = new Redis(REDIS)
  const keys = await r.keys(`${prefix}*`)
  if (keys.length) await r.del(...keys)
  r.disconnect()
  await Promise.all([eu.close(), us.close()])
})

t.test('the relay registers in its region fleet with its real addresses', async (t) => {
  const live = await eu.fleet.liveRelays()
  const me = live.find((r) => r.id === 'eu-r1')
  t.ok(me, 'listed in the live set')
  t.same(me!.udp, [`127.0.0.1:${relayPort}`])
  t.equal(me!.draining, false)
})

t.test('a participant of a meeting homed in the relay region allocates, and the decision is audited', async (t) => {
  const m = await meeting(eu, ['eu-central'])
  await admit(eu, m, 'p_alice', '127.20.0.1')
  const c = await client(m, 'p_alice', '127.20.0.1')
  const { relayed } = await c.allocate()
  t.equal(relayed.address, '127.0.0.1')
  const audit = await auditOf(m)
  const entry = audit.find((e) => e.kind === 'allocation')
  t.ok(entry, 'an allocation decision is in the meeting audit stream')
  t.equal(entry!.allow, true)
  t.equal(entry!.reason, 'home_region')
  t.equal(entry!.actor, 'eu-r1')
  t.same(entry!.countries, ['DE'])
})

t.test('a credential signed with another region secret fails authentication', async (t) => {
  const m = await meeting(eu, ['eu-central'])
  const c = await client(m, 'p_bob', '127.20.0.2', US_SECRET)
  t.equal(await refusal(c.allocate()), 401)
})

t.test('a meeting whose allowed set lacks the relay region is refused, reading its policy from its home region', async (t) => {
  const m = await meeting(us, ['us-east'])
  const c = await client(m, 'p_carol', '127.20.0.3')
  t.equal(await refusal(c.allocate()), 403)
  const audit = await auditOf(m, us)
  t.equal(audit.at(-1)?.reason, 'region_outside_allowed_set', 'audited in the HOME region stream')
  const euKeys = await eu.connection!.command.keys(`${prefix}*${m}*`)
  t.same(euKeys.filter((k) => !k.includes('{us-east')), [], 'nothing about the meeting is written under the relay region keys')
})

t.test('in jurisdiction mode a relay of another region in the set serves the meeting from its home region policy, writing nothing to its own region', async (t) => {
  const m = await meeting(us, ['us-east', 'eu-central'])
  await admit(us, m, 'p_liz', '127.20.0.30')
  const c = await client(m, 'p_liz', '127.20.0.30')
  const { relayed } = await c.allocate()
  t.ok(relayed.port > 0, 'allocated on the eu-central relay')
  const entry = (await auditOf(m, us)).find((e) => e.kind === 'allocation')
  t.equal(entry?.allow, true)
  t.equal(entry?.reason, 'in_jurisdiction', 'audited in the home region as a jurisdiction-mode allocation')
  t.equal(entry?.region, 'eu-central', 'naming the serving region')
  const euKeys = await eu.connection!.command.keys(`${prefix}:{eu-central*`)
  t.notOk(euKeys.some((k) => k.includes(m)), 'no key of the eu-central region names the meeting')
  const gone = new Promise<void>((resolve) => {
    const off = relay.node.server.events.on('allocation-deleted', (info) => {
      if (info.participantId === 'p_liz') {
        off()
        resolve()
      }
    })
  })
  await us.revocations.revoke(m, 'p_liz', { ttlMs: 600_000 })
  await gone
  t.pass('and obeys the home region revocation')
})

t.test('an attendee whose source address is in a blocked country cannot allocate', async (t) => {
  const m = await meeting(eu, ['eu-central'])
  const c = await client(m, 'p_dan', '127.22.0.1')
  t.equal(await refusal(c.allocate()), 403)
  t.equal((await auditOf(m)).at(-1)?.reason, 'country_blocked')
})

t.test('an unknown meeting is refused (fail closed)', async (t) => {
  const c = await client(newMeetingId('eu-central'), 'p_erin', '127.20.0.4')
  t.equal(await refusal(c.allocate()), 403)
})

t.test('peers must be admitted endpoints of the meeting or relays of its allowed set', async (t) => {
  const m = await meeting(eu, ['eu-central'])
  await admit(eu, m, 'p_fay', '127.20.0.5')
  await admit(eu, m, 'p_gus', '127.21.0.6')
  const c = await client(m, 'p_fay', '127.20.0.5')
  await c.allocate()
  await c.createPermission({ family: 4, address: '127.21.0.6', port: 5000 })
  t.pass('an admitted endpoint of the same meeting is permitted')
  // A relayed transport address of the relay (its ports 49152-65535); its listeners are not peers (turn-hairpin.test.ts).
  await c.createPermission({ family: 4, address: '127.0.0.1', port: 50000 })
  t.pass('a relay of the allowed set is permitted')
  t.equal(await refusal(c.createPermission({ family: 4, address: '127.21.0.99', port: 5000 })), 403, 'a stranger is refused')
  t.equal(await refusal(c.channelBind(0x4001, { family: 4, address: '127.21.0.99', port: 5000 })), 403, 'also through ChannelBind')
  const last = (await auditOf(m)).filter((e) => e.kind === 'peer').at(-1)
  t.equal(last?.reason, 'peer_not_in_meeting')
})

t.test('revoking a participant drops its allocation at once and it cannot allocate again', async (t) => {
  const m = await meeting(eu, ['eu-central'])
  await admit(eu, m, 'p_hal', '127.20.0.7')
  const c = await client(m, 'p_hal', '127.20.0.7')
  await c.allocate()
  const gone = new Promise<string>((resolve) => {
    const off = relay.node.server.events.on('allocation-deleted', (info, cause) => {
      if (info.participantId === 'p_hal') {
        off()
        resolve(cause)
      }
    })
  })
  await eu.revocations.revoke(m, 'p_hal', { ttlMs: 600_000 })
  t.equal(await gone, 'revoked')
  const again = await client(m, 'p_hal', '127.20.0.7')
  t.equal(await refusal(again.allocate()), 403)
  t.equal((await auditOf(m)).at(-1)?.reason, 'participant_revoked')
})

t.test('ending a meeting drops every allocation of it', async (t) => {
  const m = await meeting(eu, ['eu-central'])
  await admit(eu, m, 'p_ida', '127.20.0.8')
  await admit(eu, m, 'p_jo', '127.20.0.9')
  const a = await client(m, 'p_ida', '127.20.0.8')
  const b = await client(m, 'p_jo', '127.20.0.9')
  await a.allocate()
  await b.allocate()
  let dropped = 0
  const both = new Promise<void>((resolve) => {
    const off = relay.node.server.events.on('allocation-deleted', (info) => {
      if (info.meetingId === m && ++dropped === 2) {
        off()
        resolve()
      }
    })
  })
  const ended = await eu.meetings.end(m, { revokeTtlMs: 600_000 })
  t.ok(ended.ok)
  await both
  t.equal(dropped, 2)
  t.equal(await refusal(a.refresh(600)), 437, 'the dropped allocation cannot be refreshed')
})
