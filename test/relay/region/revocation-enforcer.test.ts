/**
 * The revocation re-check after a reconnect (issue 9 item 11): the relay's subscriber
 * came back before its command connection was writable, the re-check of its meetings
 * failed ("Stream isn't writeable") and was never tried again, so a revocation stored
 * while the relay was cut off stayed unenforced. Now it is retried until it succeeds.
 *
 * A redis-server of the test's own. The subscriber is cut by the server (CLIENT KILL);
 * the command connection is held closed by the test (ioredis `disconnect()`, then
 * `connect()`), because which of the two reconnects first is otherwise left to backoff
 * jitter and the failing order would show up only half of the time.
 *
 * The revocation enforcer re-checks allocations against fresh policy when a meeting's
 * policy changes. Issue 9 item 15: it re-checked EVERY meeting of the region on each
 * change, so every relay read and cached a policy snapshot per meeting (3,000 join+leave
 * cycles grew each relay by ~30 MB with no TURN traffic at all). Only meetings the relay
 * carries are re-checked.
 */
import { randomBytes } from 'node:crypto'
import { setImmediate as turn } from 'node:timers/promises'

import t from 'tap'

import { mintTurnCredential } from '../../../relay/auth/credentials.js'
import { startRegionRelay, type RegionRelay } from '../../../relay/region/region-relay.js'
import { newMeetingId } from '../../../state/meeting-id.js'
import { openRegionState, type RegionState } from '../../../state/region-state.js'
import { enforceRevocations } from '../../../relay/region/revocation-enforcer.js'
import type { TurnServer } from '../../../relay/server/index.js'
import { PolicyCache } from '../../../state/policy-cache.js'
import { meeting, participant, REGION } from '../../state/support/conformance.js'
import { startRedisServer, type RedisServer } from '../../state/support/redis-servers.js'
import { OPEN_MEETING_SETTINGS, testNetwork } from '../../support/test-network.js'
import { TurnClient, TurnError } from '../../support/turn-client.js'

const SECRET = 'eu-relay-secret-0003'

let redis: RedisServer
let relay: RegionRelay
let state: RegionState
let port: number
const logs: string[] = []
const logWaiters: { match: RegExp; resolve: () => void }[] = []
const closers: (() => Promise<void>)[] = []

/** Resolves true once a line matching `match` is logged, false after `ms`. */
function logged(match: RegExp, ms = 8000): Promise<boolean> {
  if (logs.some((l) => match.test(l))) return Promise.resolve(true)
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms)
    logWaiters.push({ match, resolve: () => { clearTimeout(timer); resolve(true) } })
  })
}

t.before(async () => {
  redis = await startRedisServer()
  const config = testNetwork([{ id: 'eu-central', country: 'DE', secret: SECRET, redis: redis.url, relays: ['eu-r1'] }], { '127.20.0.0/16': 'DE' })
  const prefix = `t-recheck-${randomBytes(3).toString('hex')}`
  relay = await startRegionRelay({
    config, region: 'eu-central', id: 'eu-r1', metrics: null, statePrefix: prefix, heartbeatMs: 200,
    log: (line) => {
      logs.push(line)
      for (const w of logWaiters.filter((x) => x.match.test(line))) {
        logWaiters.splice(logWaiters.indexOf(w), 1)
        w.resolve()
      }
    },
  })
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

t.test('a revocation stored while the relay\'s Redis connection is down is enforced once the re-check can read again', async (t) => {
  const m = newMeetingId('eu-central')
  const made = await state.meetings.create({ id: m, tenantId: 'acme', residencyMode: 'region', allowedRegions: ['eu-central'], attendeePolicy: { mode: 'open', countries: [], unknown: 'deny' }, settings: OPEN_MEETING_SETTINGS, createdAt: Date.now() })
  if (!made.ok) throw new Error(made.refusal)
  const put = await state.meetings.putParticipant(m, { id: 'p_kim', identity: 'p_kim', role: 'attendee', status: 'admitted', addresses: ['127.20.0.10'], node: 'test', joinedAt: Date.now() })
  if (!put.ok) throw new Error(put.refusal)
  const cred = mintTurnCredential({ secret: SECRET, meetingId: m, participantId: 'p_kim', ttlSeconds: 600, now: Date.now })
  const kim = await TurnClient.connect({ transport: 'udp', host: '127.0.0.1', port, username: cred.username, password: cred.password, localAddress: '127.20.0.10', timeoutMs: 1500 })
  closers.push(() => kim.close())
  await kim.allocate()
  const gone = new Promise<void>((resolve) => {
    const off = relay.node.server.events.on('allocation-deleted', (info) => {
      if (info.participantId === 'p_kim') {
        off()
        resolve()
      }
    })
  })

  // The relay's command connection goes down and stays down for now.
  const own = relay.registry.region('eu-central').connection!
  own.command.disconnect()
  // The revocation is stored as the revoke script stores it; its message is lost.
  const keys = state.keys.meeting(m)
  const at = Date.now()
  const raw = state.connection!.command
  await raw.hset(keys.revoked, 'p_kim', `${at}:${at + 600_000}`)
  await raw.incr(keys.policyVersion)
  // The subscriber is cut and comes back at once: its resync re-checks the meeting while
  // the command connection cannot read.
  const killed = await raw.call('CLIENT', 'KILL', 'TYPE', 'pubsub')
  t.ok(Number(killed) >= 1, 'a subscriber connection was cut')
  t.ok(await logged(/revocation re-check/), 'the re-check failed and said so')
  t.equal(relay.node.server.table.size, 1, 'the allocation still runs on last-known policy while unverifiable')

  // The command connection comes back: a retry reads the revocation and enforces it.
  await own.command.connect()
  const enforced = await Promise.race([gone.then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), 8000).unref())])
  t.ok(enforced, 'the revoked allocation is dropped after the connection is back')
  t.equal(relay.node.server.table.size, 0)
  t.ok(await logged(/revocation re-check succeeded after \d+ failed attempt/), 'the recovery is logged once')
  t.equal(logs.filter((l) => /revocation re-check failed/.test(l)).length, 1, 'failures while retrying are logged once per reportEveryMs (30 s), not once per attempt')
  try {
    await kim.refresh(600)
    t.fail('a refresh of the dropped allocation succeeded')
  } catch (err) {
    t.equal(err instanceof TurnError ? err.code : err, 437, 'a refresh finds no allocation')
  }
})

t.test('policy changes of meetings the relay carries nothing of are neither read nor cached', async (t) => {
  const s = openRegionState({ region: REGION, redis: { memory: true }, memoryBackends: new Map(), warn: () => {} })
  let reads = 0
  const counting: RegionState = { ...s, policy: { region: s.region, snapshot: (id) => (reads++, s.policy.snapshot(id)) } }
  const cache = new PolicyCache({ resolve: () => counting })
  t.teardown(() => cache.close())
  await cache.watch(counting)
  const carried = new Set<string>()
  const server = { table: { meetingCount: (id: string) => (carried.has(id) ? 1 : 0), values: () => [][Symbol.iterator]() } } as unknown as TurnServer
  const stop = enforceRevocations({ cache, server, revoke: () => 0 })
  t.teardown(stop)

  const meetings = Array.from({ length: 20 }, () => meeting())
  let heard = 0
  const allHeard = new Promise<void>((resolve) => cache.on('invalidated', () => { if (++heard === meetings.length) resolve() }))
  for (const m of meetings) {
    await s.meetings.create(m)
    await s.meetings.putParticipant(m.id, participant('p1'))
  }
  await allHeard
  await turn() // let any re-check the events started reach the store
  t.equal(reads, 0, 'no policy read for meetings without an allocation here')
  t.same(cache.cachedMeetings(), [], 'and nothing cached for them')

  // The re-check itself still runs for a meeting the relay carries.
  const mine = meetings[0]!
  carried.add(mine.id)
  const heardMine = new Promise<void>((resolve) => cache.on('invalidated', (m) => { if (m.meetingId === mine.id) resolve() }))
  await s.meetings.putParticipant(mine.id, participant('p2'))
  await heardMine
  await turn()
  t.equal(reads, 1, 'a meeting with an allocation here is re-checked')
  t.same(cache.cachedMeetings(), [mine.id])
})
