/**
 * Issue 9 item 12: the region's Redis restarts without persistence and comes back empty.
 * The meeting is gone; its joined participant must be told (error SR_STATE_LOST, close
 * 4024) and the relay must drop the allocation it holds for the vanished meeting. A
 * redis-server of the test's own (no AOF, no RDB) on a free port, a control-plane node
 * and a region relay on loopback, a real signaling client and a real TURN allocation made
 * with the credential from the welcome.
 */
import { randomBytes } from 'node:crypto'

import t from 'tap'

import { hashApiKey, generateApiKey } from '../../../config/api-key.js'
import { parseConfig } from '../../../config/load-config.js'
import { buildApp, type ControlPlaneApp } from '../../../control-plane/app.js'
import { SignalClient } from '../../../control-plane/client/signal-client.js'
import { signalUrl } from '../../../control-plane/plugins/signaling.js'
import { CLOSE_CODES } from '../../../control-plane/protocol/error-codes.js'
import { GeoLocator } from '../../../geo/lookup.js'
import { startRegionRelay, type RegionRelay } from '../../../relay/region/region-relay.js'
import { openRegionState, type RegionState } from '../../../state/region-state.js'
import { startRedisServer, type RedisServer } from '../../state/support/redis-servers.js'
import { TurnClient, TurnError } from '../../support/turn-client.js'
import { bounded, next, socketFrom } from '../signaling/support.js'

let redis: RedisServer
let relay: RegionRelay
let state: RegionState
let app: ControlPlaneApp
let url: string

t.before(async () => {
  redis = await startRedisServer()
  const prefix = `t-lost-${randomBytes(4).toString('hex')}`
  const config = parseConfig({
    source: 'state-loss.test',
    text: `
version: 1
regions:
  - id: eu-central
    country: DE
    location: { lat: 50.1, lon: 8.7 }
    controlPlane: { url: "http://127.0.0.1:18080" }
    redis: { url: "${redis.url}" }
    relaySecrets: [ { id: eu1, value: "eu-central-lost-relay-secret-0001" } ]
    relays: [ { id: eu-r1, listen: ["127.0.0.1:0"] } ]
geo:
  watch: false
  overrides:
    - { cidr: 127.1.0.0/16, country: DE }
relay:
  allowPeers: [127.0.0.0/8]
tenants:
  - id: acme
    apiKeys: [{ id: acme-1, sha256: ${hashApiKey(generateApiKey('test'))} }]
    tokenSecret: acme-lost-token-secret-${randomBytes(8).toString('hex')}
    allowedRegions: [eu-central]
    defaultRegion: eu-central
    security: { waitingRoom: false, passcodeRequired: false }
admin: { apiKeys: [ { id: admin, sha256: "${'a'.repeat(64)}" } ] }
`,
  }, { env: {} })
  relay = await startRegionRelay({ config, region: 'eu-central', id: 'eu-r1', metrics: null, statePrefix: prefix, heartbeatMs: 200 })
  state = openRegionState({ region: 'eu-central', redis: { url: redis.url }, prefix, connection: { retryBaseMs: 20, retryMaxMs: 200 } })
  await state.ready()
  const geo = new GeoLocator({ database: null, overrides: [{ cidr: '127.1.0.0/16', country: 'DE' }] })
  app = await buildApp({ region: 'eu-central', nodeId: 'eu-cp-1', config: () => config, state, geo, defaultMetrics: false })
  url = signalUrl(await app.listen({ host: '127.0.0.1', port: 0 }))
})

t.teardown(async () => {
  await relay?.close()
  await app?.close()
  await state?.close()
  await redis?.stop()
})

t.test('when Redis comes back empty, a joined participant is closed with 4024 and the relay drops its allocation', async (t) => {
  const meetings = app.sovereign.meetings
  const acme = app.sovereign.config().tenantById('acme')!
  const meeting = await meetings.create(acme, {})
  const { token } = await meetings.mintToken(meeting.id, acme, { identity: 'alice', role: 'host', displayName: 'alice' })
  const client = SignalClient.connect(url, { WebSocket: socketFrom('127.1.0.2'), token })
  t.teardown(() => client.close())
  const joined = await client.joined
  t.equal(joined.kind, 'welcome', 'alice is admitted')
  if (joined.kind !== 'welcome') return

  const turn = joined.welcome.iceServers.find((s) => s.urls.some((u) => u.startsWith('turn:')))!
  const port = relay.node.addresses.find((a) => a.transport === 'udp')!.port
  const turnClient = await TurnClient.connect({ transport: 'udp', host: '127.0.0.1', port, username: turn.username!, password: turn.credential!, localAddress: '127.1.0.2', timeoutMs: 1500 })
  t.teardown(() => turnClient.close())
  await turnClient.allocate()
  t.equal(relay.node.server.table.size, 1, 'the relay holds alice\'s allocation')

  const stateLost = next(client, 'error', (e) => e.code === 'SR_STATE_LOST')
  const closed = next(client, 'close')
  const dropped = new Promise<void>((resolve) => {
    const off = relay.node.server.events.on('allocation-deleted', (info) => {
      if (info.meetingId === meeting.id) {
        off()
        resolve()
      }
    })
  })

  await redis.down()
  await redis.up()

  await bounded(dropped, 'the relay dropping the allocation')
  t.equal(relay.node.server.table.size, 0, 'the relay holds no allocation of the vanished meeting')
  const [error] = await bounded(stateLost, 'the SR_STATE_LOST error')
  t.match(error.message, /lost its meeting state/, 'alice is told why')
  const [info] = await bounded(closed, 'the close')
  t.equal(info.code, CLOSE_CODES.stateLost, 'the socket closes with 4024')
  t.equal(info.code, 4024)
  // Logged and counted once per loss, by each process.
  t.match(await app.sovereign.registry.getSingleMetricAsString('sovereign_cp_state_lost_total'), /^sovereign_cp_state_lost_total 1$/m, 'the control plane counted the loss once')
  t.match(await relay.node.metrics.registry.getSingleMetricAsString('sovereign_relay_state_lost_total'), /^sovereign_relay_state_lost_total\{state_region="eu-central"\} 1$/m, 'the relay counted it once')
  let refreshed: unknown
  try {
    await turnClient.refresh(600)
  } catch (err) {
    refreshed = err
  }
  t.ok(refreshed instanceof TurnError && refreshed.code === 437, 'a refresh of it is refused (437 allocation mismatch)')
})
