/**
 * Failover on two control-plane nodes of one region (issue 12), with the fleet written
 * by hand (no relay processes: the e2e twin, test/control-plane/e2e/failover.test.ts,
 * SIGKILLs real ones). A relay that leaves the fleet or drains gets each v1.1 participant
 * it was handed exactly one `ice-restart` from the node that holds its socket, with
 * servers of the allowed set only; a v1.0 participant is sent nothing it did not ask
 * for; with nothing left, SR_NO_RELAY_AVAILABLE.
 */
import t from 'tap'
import WebSocket from 'ws'

import { SignalClient } from '../../../control-plane/client/signal-client.js'
import type { ErrorMessageShape, IceRestartMessage } from '../../../control-plane/protocol/server-messages.js'
import { SUBPROTOCOL } from '../../../control-plane/protocol/version.js'
import { dropPrefix, network } from '../app/fixture.js'
import { bounded, socketFrom, startNode, type Node } from './support.js'

const net = network()
const acme = net.config.tenantById('acme')!
let one: Node
let two: Node

const relay = (id: string, udp: string) => ({
  id, region: 'eu-central', udp: [udp], tcp: [], capacity: 100, version: 'test', startedAt: Date.now(),
  load: { allocations: 0, packetsPerSecond: 0, bytesPerSecond: 0, cpu: 0 }, draining: false, sentAt: Date.now(),
})

t.before(async () => {
  one = await startNode(net, 'eu-central', 'eu-cp-1', { fleetWatchMs: 50 })
  two = await startNode(net, 'eu-central', 'eu-cp-2', { fleetWatchMs: 50 })
})

t.teardown(async () => {
  await dropPrefix(one.state, net.prefix)
  await one.close()
  await two.close()
})

interface Seen { restarts: IceRestartMessage[]; errors: ErrorMessageShape[] }

t.test('a relay that dies or drains moves each v1.1 participant it carried once, whichever node holds it; v1.0 clients are left alone', async (t) => {
  await one.state.fleet.heartbeat(relay('eu-r1', '127.0.0.1:3478'), 60_000)
  const meeting = await one.app.sovereign.meetings.create(acme, { waitingRoom: false, passcodeRequired: false, residencyMode: 'region' })
  const token = async (identity: string) => (await one.app.sovereign.meetings.mintToken(meeting.id, acme, { identity, role: 'host', displayName: identity })).token

  const seen = new Map<string, Seen>()
  const join = async (identity: string, node: Node) => {
    const client = SignalClient.connect(node.url, { WebSocket: socketFrom('127.1.0.7'), token: await token(identity) })
    t.teardown(() => client.close())
    const s: Seen = { restarts: [], errors: [] }
    seen.set(identity, s)
    client.on('ice-restart', (m) => s.restarts.push(m))
    client.on('error', (m) => s.errors.push(m))
    const result = await client.joined
    if (result.kind !== 'welcome') throw new Error(`${identity} not welcomed`)
    return client
  }
  const alice = await join('alice', one)
  const bob = await join('bob', two)
  // A v1.0 client: its join declares no `minor`, so nothing of v1.1 is sent to it unprompted.
  const old = new WebSocket(one.url, SUBPROTOCOL, { localAddress: '127.1.0.8' })
  t.teardown(() => old.close())
  const oldFrames: Array<{ type: string }> = []
  const oldWelcome = new Promise<void>((resolve) => old.on('message', (data) => {
    const m = JSON.parse(String(data)) as { type: string }
    oldFrames.push(m)
    if (m.type === 'welcome') resolve()
  }))
  await new Promise((resolve) => old.once('open', resolve))
  old.send(JSON.stringify({ type: 'join', token: await token('carol') }))
  await bounded(oldWelcome, 'the v1.0 welcome')
  t.same([alice.iceServers, bob.iceServers].map((s) => s.map((x) => x.urls[0])), [['turn:127.0.0.1:3478?transport=udp'], ['turn:127.0.0.1:3478?transport=udp']], 'everyone was handed eu-r1')

  await one.state.fleet.heartbeat(relay('eu-r2', '127.0.0.2:3478'), 60_000)

  const lost = Promise.all([alice, bob].map((c) => bounded(new Promise<IceRestartMessage>((resolve) => c.once('ice-restart', resolve)), 'ice-restart')))
  await one.state.fleet.deregister('eu-r1')
  const [toAlice, toBob] = await lost
  for (const m of [toAlice!, toBob!]) {
    t.equal(m.reason, 'relay-lost')
    t.equal(m.relayId, 'eu-r1', 'naming the relay that left')
    t.notOk(m.re, 'unprompted')
    t.ok(m.iceServers.length > 0 && m.iceServers.every((s) => !s.urls[0]!.includes('127.0.0.1:3478')), 'never the relay that left')
    t.match(m.iceServers[0]!.username, `:${meeting.id}:`, 'fresh meeting-scoped credentials')
  }
  t.same(alice.iceServers, toAlice!.iceServers, 'the SDK holds the new servers')

  const handed = new Set(toAlice!.iceServers.concat(toBob!.iceServers).map((s) => s.urls[0]!))
  t.same([...handed].sort(), ['turn:127.0.0.2:3478?transport=udp'], 'eu-r2 is what they hold now')

  // The last relay they hold drains.
  const refused = Promise.all([alice, bob].map((c) => bounded(new Promise<ErrorMessageShape>((resolve) => c.once('error', resolve)), 'refusal')))
  await one.state.fleet.requestDrain('eu-r2', { requestedAt: Date.now(), by: 'test' })
  const refusals = await refused
  t.same(refusals.map((m) => m.code), ['SR_NO_RELAY_AVAILABLE', 'SR_NO_RELAY_AVAILABLE'], 'a draining last relay: a coded refusal, no servers')

  // The call stayed on the draining relay, still watched: when it goes, they move to a relay live by then.
  await one.state.fleet.heartbeat(relay('eu-r4', '127.0.0.4:3478'), 60_000)
  const later = Promise.all([alice, bob].map((c) => bounded(new Promise<IceRestartMessage>((resolve) => c.once('ice-restart', resolve)), 'ice-restart after the drained relay went')))
  await one.state.fleet.cancelDrain('eu-r2')
  await one.state.fleet.deregister('eu-r2')
  for (const m of await later) t.same([m.reason, m.relayId, m.iceServers.map((s) => s.urls[0])], ['relay-lost', 'eu-r2', ['turn:127.0.0.4:3478?transport=udp']], 'relay-lost, to the new relay')

  t.same(seen.get('alice')!.restarts.map((m) => [m.reason, m.relayId]), [['relay-lost', 'eu-r1'], ['relay-lost', 'eu-r2']], 'alice (node 1): one ice-restart per event')
  t.same(seen.get('bob')!.restarts.map((m) => [m.reason, m.relayId]), [['relay-lost', 'eu-r1'], ['relay-lost', 'eu-r2']], 'bob (node 2): one ice-restart per event')
  t.notOk(oldFrames.some((m) => m.type === 'ice-restart' || m.type === 'error'), 'the v1.0 client was sent neither')
  t.equal(old.readyState, WebSocket.OPEN, 'and keeps its session')

  const audit = (await one.state.audit.read(meeting.id)).filter((e) => e.kind === 'relay-failover')
  t.same(audit.map((e) => [e.actor, e.relayId, e.reason, e.allow]).sort(), [
    ['eu-cp-1', 'eu-r1', 'relay_lost', true], ['eu-cp-1', 'eu-r2', 'relay_draining', false], ['eu-cp-1', 'eu-r2', 'relay_lost', true],
    ['eu-cp-2', 'eu-r1', 'relay_lost', true], ['eu-cp-2', 'eu-r2', 'relay_draining', false], ['eu-cp-2', 'eu-r2', 'relay_lost', true],
  ], 'each node audits the moves of the participants it holds')
  const metrics = await one.app.sovereign.registry.getSingleMetricAsString('sovereign_cp_signal_failovers_total')
  t.match(metrics, /cause="relay-lost",outcome="moved"\} 2/, 'node 1 counted its moves')
  t.match(metrics, /cause="relay-draining",outcome="no_relay"\} 1/, 'and the drain it could not move')
  await one.state.fleet.deregister('eu-r4')
})
