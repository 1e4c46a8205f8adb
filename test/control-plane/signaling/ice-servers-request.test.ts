/**
 * v1.1 `ice-servers-request` on a real control-plane node: an admitted participant whose
 * ICE failed gets fresh ICE servers built as at join (the region's live relays, meeting-
 * scoped credentials), as an `ice-restart` with reason `requested`; with no live relay in
 * the allowed set it gets `SR_NO_RELAY_AVAILABLE` and no server at all (fail closed).
 */
import t from 'tap'

import { SignalClient } from '../../../control-plane/client/signal-client.js'
import { dropPrefix, network } from '../app/fixture.js'
import { socketFrom, startNode, type Node } from './support.js'

const net = network()
const acme = net.config.tenantById('acme')!
const DE = socketFrom('127.1.0.7')
let eu: Node
const clients: SignalClient[] = []

const relay = (id: string, udp: string) => ({
  id, region: 'eu-central', udp: [udp], tcp: [], capacity: 100, version: 'test', startedAt: Date.now(),
  load: { allocations: 0, packetsPerSecond: 0, bytesPerSecond: 0, cpu: 0 }, draining: false, sentAt: Date.now(),
})

t.before(async () => {
  eu = await startNode(net, 'eu-central', 'eu-cp-1')
})

t.teardown(async () => {
  await Promise.all(clients.map((c) => c.close()))
  await dropPrefix(eu.state, net.prefix)
  await eu.close()
})

async function joined(identity: string): Promise<{ client: SignalClient; meetingId: string }> {
  const meeting = await eu.app.sovereign.meetings.create(acme, { waitingRoom: false, passcodeRequired: false, residencyMode: 'region' })
  const { token } = await eu.app.sovereign.meetings.mintToken(meeting.id, acme, { identity, role: 'host', displayName: identity })
  const client = SignalClient.connect(eu.url, { WebSocket: DE, token })
  clients.push(client)
  const result = await client.joined
  if (result.kind !== 'welcome') throw new Error(`not welcomed: ${result.kind}`)
  return { client, meetingId: meeting.id }
}

t.test('an admitted participant that asks gets fresh ICE servers of the live relays, with meeting-scoped credentials', async (t) => {
  await eu.state.fleet.heartbeat(relay('eu-relay-1', '127.0.0.1:3478'), 60_000)
  const { client, meetingId } = await joined('ines')
  t.match(client.iceServers[0]?.urls[0], /^turn:127\.0\.0\.1:3478/, 'the welcome named relay 1')

  // Relay 1 leaves the fleet, relay 2 joins: the answer names only what is live now.
  await eu.state.fleet.deregister('eu-relay-1')
  await eu.state.fleet.heartbeat(relay('eu-relay-2', '127.0.0.2:3478'), 60_000)
  const restart = await client.requestIceServers()
  t.equal(restart.type, 'ice-restart')
  t.equal(restart.reason, 'requested')
  t.ok(restart.re, 'it answers the request by its id')
  t.same(restart.iceServers.map((s) => s.urls[0]), ['turn:127.0.0.2:3478?transport=udp'], 'only the live relay')
  t.match(restart.iceServers[0]!.username, new RegExp(`:${meetingId.replace('.', '\\.')}:`), 'with a credential for this meeting')
  t.same(client.iceServers, restart.iceServers, 'the client holds the new servers')
  await eu.state.fleet.deregister('eu-relay-2')
})

t.test('with no live relay in the allowed set the request is refused with SR_NO_RELAY_AVAILABLE and the session continues', async (t) => {
  await eu.state.fleet.heartbeat(relay('eu-relay-3', '127.0.0.3:3478'), 60_000)
  const { client } = await joined('jonas')
  await eu.state.fleet.deregister('eu-relay-3')
  await t.rejects(client.requestIceServers(), { code: 'SR_NO_RELAY_AVAILABLE' })
  t.equal(client.closed, false, 'still connected')
  await client.ping()
  t.pass('and still answered')
})
