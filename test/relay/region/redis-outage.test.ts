/**
 * Faults between a region relay and its Redis (issue 4): while Redis is down the relay
 * keeps relaying existing allocations on last-known policy and refuses what it cannot
 * verify; it recovers without a restart; and a revocation it missed while its
 * subscription was cut is still enforced once it resubscribes. A redis-server of the
 * test's own, on a free port, is stopped and restarted during the test.
 */
import { randomBytes } from 'node:crypto'
import t from 'tap'

import { mintTurnCredential } from '../../../relay/auth/credentials.js'
import { startRegionRelay, type RegionRelay } from '../../../relay/region/region-relay.js'
import { newMeetingId } from '../../../state/meeting-id.js'
import { openRegionState, type RegionState } from '../../../state/region-state.js'
import { startRedisServer, type RedisServer } from '../../state/support/redis-servers.js'
import { OPEN_MEETING_SETTINGS, testNetwork } from '../../support/test-network.js'
import { TurnClient, TurnError, echoPeer } from '../../support/turn-client.js'

const SECRET = 'eu-relay-secret-0002'
const settings = OPEN_MEETING_SETTINGS

let redis: RedisServer
let relay: RegionRelay
let state: RegionState
let port: number
const closers: (() => Promise<void>)[] = []

function configFor(url: string) {
  return testNetwork([{ id: 'eu-central', country: 'DE', secret: SECRET, redis: url, relays: ['eu-r1'] }], { '127.20.0.0/16': 'DE', '127.21.0.0/16': 'FR' })
}

async function meetingWith(participants: [string, string][]): Promise<string> {
  const id = newMeetingId('eu-central')
  const m = await state.meetings.create({ id, tenantId: 'acme', residencyMode: 'region', allowedRegions: ['eu-central'], attendeePolicy: { mode: 'open', countries: [], unknown: 'deny' }, settings, createdAt: Date.now() })
  if (!m.ok) throw new Error(m.refusal)
  for (const [pid, address] of participants) {
    const r = await state.meetings.putParticipant(id, { id: pid, identity: pid, role: 'attendee', status: 'admitted', addresses: [address], node: 'test', joinedAt: Date.now() })
    if (!r.ok) throw new Error(r.refusal)
  }
  return id
}

async function client(meetingId: string, participantId: string, from: string): Promise<TurnClient> {
  const cred = mintTurnCredential({ secret: SECRET, meetingId, participantId, ttlSeconds: 600, now: Date.now })
  const c = await TurnClient.connect({ transport: 'udp', host: '127.0.0.1', port, username: cred.username, password: cred.password, localAddress: from, timeoutMs: 1500 })
  closers.push(() => c.close())
  return c
}

async function code(p: Promise<unknown>): Promise<number> {
  try {
    await p
    return 0
  } catch (err) {
    if (err instanceof TurnError) return err.code
    throw err
  }
}

function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + ms
    const tick = (): void => {
      if (cond()) return resolve()
      if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what}`))
      setTimeout(tick, 20)
    }
    tick()
  })
}

t.before(async () => {
  // Append-only file, so a restart comes back with the data (a restart, not a wipe).
  redis = await startRedisServer(['--appendonly', 'yes'])
  const config = configFor(redis.url)
  const prefix = `t-outage-${randomBytes(3).toString('hex')}`
  relay = await startRegionRelay({ config, region: 'eu-central', id: 'eu-r1', metrics: null, statePrefix: prefix, heartbeatMs: 200 })
  port = relay.node.addresses.find((a) => a.transport === 'udp')!.port
  state = openRegionState({ region: 'eu-central', redis: { url: redis.url }, prefix })
  await state.ready()
})

t.teardown(async () => {
  for (const c of closers) await c()
  await relay.close()
  await state.close()
  await redis.stop()
})

t.test('a revocation the relay missed while its subscription was cut is enforced after it resubscribes', async (t) => {
  const m = await meetingWith([['p_kim', '127.20.0.10']])
  const c = await client(m, 'p_kim', '127.20.0.10')
  await c.allocate()
  const gone = new Promise<void>((resolve) => {
    const off = relay.node.server.events.on('allocation-deleted', (info) => {
      if (info.participantId === 'p_kim') {
        off()
        resolve()
      }
    })
  })
  // Store the revocation as the revoke script does but publish nothing (the message is
  // lost), then cut the relay's subscriber connection as a network blip would.
  const keys = state.keys.meeting(m)
  const at = Date.now()
  const raw = state.connection!.command
  await raw.hset(keys.revoked, 'p_kim', `${at}:${at + 600_000}`)
  await raw.incr(keys.policyVersion)
  const killed = await raw.call('CLIENT', 'KILL', 'TYPE', 'pubsub')
  t.ok(Number(killed) >= 1, 'a subscriber connection was cut')
  await gone
  t.equal(await code(c.refresh(600)), 437, 'the allocation is gone')
})

t.test('while Redis is down existing allocations keep relaying, unverifiable ones are refused, and all recovers without a restart', async (t) => {
  const echo = await echoPeer('127.21.0.6')
  closers.push(() => echo.close())
  const m = await meetingWith([['p_ann', '127.20.0.20'], ['p_ben', '127.21.0.6']])
  const later = await meetingWith([['p_cy', '127.20.0.21']])
  const ann = await client(m, 'p_ann', '127.20.0.20')
  await ann.allocate()
  await ann.channelBind(0x4000, echo.address)
  ann.sendChannelData(0x4000, Buffer.from('before'))
  t.equal((await ann.nextData()).data.toString(), 'before', 'relays before the outage')

  await redis.down()
  await until(() => relay.registry.region('eu-central').health.snapshot.state !== 'connected', 'the relay to notice the outage')
  ann.sendChannelData(0x4000, Buffer.from('during'))
  t.equal((await ann.nextData()).data.toString(), 'during', 'an existing allocation keeps relaying on last-known policy')
  const cy = await client(later, 'p_cy', '127.20.0.21')
  t.equal(await code(cy.allocate()), 403, 'a meeting it cannot verify is refused (fail closed)')

  await redis.up()
  await until(() => relay.registry.region('eu-central').health.snapshot.state === 'connected', 'the relay to reconnect')
  await until(() => relay.registry.region('eu-central').subscriberHealth.snapshot.state === 'connected', 'the subscriber to reconnect')
  const cy2 = await client(later, 'p_cy', '127.20.0.21')
  const { relayed } = await cy2.allocate()
  t.ok(relayed.port > 0, 'allocates again once Redis is back, without a restart')
  ann.sendChannelData(0x4000, Buffer.from('after'))
  t.equal((await ann.nextData()).data.toString(), 'after', 'the old allocation survived the outage')
  // The heartbeat re-registers within a beat after the restart.
  let registered = false
  const poll = setInterval(() => {
    state.fleet.liveRelays().then((l) => { registered = l.some((r) => r.id === 'eu-r1') }, () => {})
  }, 50)
  await until(() => registered, 'the relay to register again').finally(() => clearInterval(poll))
  t.ok(registered, 'the relay is registered again')
})
