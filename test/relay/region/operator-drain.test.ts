/**
 * An operator drains a relay through its region's registry (not by signalling its
 * process): the relay notices on its next beat, refuses new allocations with 508 while
 * its existing allocations keep refreshing and relaying, stays drained across a restart,
 * and takes allocations again once the request is cancelled. Real relay sockets on
 * loopback, a real Redis at 127.0.0.1:6379 under a unique prefix.
 */
import { randomBytes } from 'node:crypto'
import t from 'tap'

import { mintTurnCredential } from '../../../relay/auth/credentials.js'
import { startRegionRelay, type RegionRelay } from '../../../relay/region/region-relay.js'
import { newMeetingId } from '../../../state/meeting-id.js'
import { openRegionState } from '../../../state/region-state.js'
import { OPEN_MEETING_SETTINGS, testNetwork } from '../../support/test-network.js'
import { TurnClient, TurnError, echoPeer } from '../../support/turn-client.js'

const SECRET = 'eu-relay-secret-drain-0001'
const config = testNetwork([{ id: 'eu-central', country: 'DE', secret: SECRET, relays: ['eu-r1'] }])
const prefix = `t-drain-${randomBytes(4).toString('hex')}`
const state = openRegionState({ region: 'eu-central', redis: { url: 'redis://127.0.0.1:6379' }, prefix })
const echo = await echoPeer('127.0.0.9')
const clients: TurnClient[] = []
const relays: RegionRelay[] = []
const logs: string[] = []

// The test beats by hand (beatNow); the long TTL keeps a slow machine from expiring the relay meanwhile.
const start = async (): Promise<RegionRelay> => {
  const relay = await startRegionRelay({ config, region: 'eu-central', id: 'eu-r1', metrics: '127.0.0.1:0', statePrefix: prefix, heartbeatMs: 60_000, heartbeatTtlMs: 600_000, log: (m) => logs.push(m) })
  relays.push(relay)
  return relay
}

t.teardown(async () => {
  for (const c of clients) await c.close()
  await echo.close()
  for (const r of relays) await r.close()
  const raw = state.connection!.command
  const keys = await raw.keys(`${prefix}*`)
  if (keys.length) await raw.del(...keys)
  await state.close()
})

await state.ready()
const m = newMeetingId('eu-central')
await state.meetings.create({ id: m, tenantId: 't', residencyMode: 'region', allowedRegions: ['eu-central'], attendeePolicy: { mode: 'open', countries: [], unknown: 'allow' }, settings: OPEN_MEETING_SETTINGS, createdAt: Date.now() })
for (const [pid, addr] of [['p_a', '127.0.0.1'], ['p_b', '127.0.0.1'], ['p_c', '127.0.0.1'], ['p_echo', '127.0.0.9']] as const) {
  await state.meetings.putParticipant(m, { id: pid, identity: pid, role: 'attendee', status: 'admitted', addresses: [addr], node: 'test', joinedAt: Date.now() })
}

const client = async (relay: RegionRelay, pid: string): Promise<TurnClient> => {
  const port = relay.node.addresses.find((a) => a.transport === 'udp')!.port
  const cred = mintTurnCredential({ secret: SECRET, meetingId: m, participantId: pid, ttlSeconds: 600, now: Date.now })
  const c = await TurnClient.connect({ transport: 'udp', host: '127.0.0.1', port, username: cred.username, password: cred.password })
  clients.push(c)
  return c
}
const code = (p: Promise<unknown>): Promise<number> => p.then(() => 0, (e: unknown) => (e instanceof TurnError ? e.code : Promise.reject(e)))
const scrape = async (relay: RegionRelay): Promise<string> => (await fetch(`${relay.node.metricsUrl}/metrics`)).text()
const ready = async (relay: RegionRelay): Promise<number> => (await fetch(`${relay.node.metricsUrl}/readyz`)).status

t.test('a drain request stops new allocations on the next beat while the existing one keeps relaying, and cancelling it resumes', async (t) => {
  const relay = await start()
  const existing = await client(relay, 'p_a')
  await existing.allocate()
  await existing.channelBind(0x4000, echo.address)
  t.match(await scrape(relay), /^sovereign_relay_capacity 10000$/m, 'the relay exports its capacity')
  t.match(await scrape(relay), /^sovereign_relay_drain_requested 0$/m)

  await state.fleet.requestDrain('eu-r1', { requestedAt: Date.now(), by: 'test:ops', reason: 'kernel upgrade' })
  t.equal((await state.fleet.liveRelays()).find((r) => r.id === 'eu-r1')?.draining, true, 'the registry shows it draining before the relay has noticed')
  t.equal(relay.node.server.draining, false, 'the relay has not beaten yet')
  await relay.heartbeat.beatNow()
  t.same(relay.drainRequest, { requestedAt: relay.drainRequest?.requestedAt, by: 'test:ops', reason: 'kernel upgrade' }, 'one beat later the relay knows')
  t.equal(relay.node.server.draining, true)
  t.match(logs.at(-1), /drain requested by test:ops \(kernel upgrade\)/)

  t.equal(await code((await client(relay, 'p_b')).allocate()), 508, 'a new allocation is refused with 508 (try another relay)')
  t.equal(await ready(relay), 503, '/readyz says draining')
  t.match(await scrape(relay), /^sovereign_relay_drain_requested 1$/m)
  t.match(await scrape(relay), /^sovereign_relay_draining 1$/m)
  t.ok((await existing.refresh(600)) > 0, 'the existing allocation still refreshes')
  existing.sendChannelData(0x4000, Buffer.from('still relaying'))
  t.equal((await existing.nextData()).data.toString(), 'still relaying', 'and still relays')

  t.equal(await state.fleet.cancelDrain('eu-r1'), true)
  await relay.heartbeat.beatNow()
  t.equal(relay.drainRequest, null)
  t.equal(relay.node.server.draining, false, 'cancelled, the next beat undrains it')
  t.equal(await code((await client(relay, 'p_c')).allocate()), 0, 'new allocations are taken again')
  t.equal(await ready(relay), 200)
  await relay.close()
})

t.test('a drain request survives a restart: the restarted relay is draining as soon as it has started', async (t) => {
  await state.fleet.requestDrain('eu-r1', { requestedAt: Date.now(), by: 'test:ops' })
  const relay = await start()
  t.equal(relay.node.server.draining, true, 'draining before anyone is told it started')
  t.equal(await code((await client(relay, 'p_b')).allocate()), 508)
  await state.fleet.cancelDrain('eu-r1')
  await relay.heartbeat.beatNow()
  t.equal(await code((await client(relay, 'p_b')).allocate()), 0)
  await relay.close()
})

t.test('a relay shutting down (SIGTERM) stays drained when an operator cancels a drain request meanwhile', async (t) => {
  const relay = await start()
  await state.fleet.requestDrain('eu-r1', { requestedAt: Date.now(), by: 'test:ops' })
  await relay.heartbeat.beatNow()
  await relay.drain()
  await state.fleet.cancelDrain('eu-r1')
  await relay.heartbeat.beatNow()
  t.equal(relay.drainRequest, null)
  t.equal(relay.node.server.draining, true, 'its own drain is not undone by the cancelled request')
  await relay.close()
})
