/**
 * THE headline test: two node-datachannel peers (libdatachannel/libjuice, a WebRTC stack
 * nobody here wrote) get their ICE servers from the control plane's welcome, signal SDP
 * and candidates through the control plane's WebSocket (one peer on each of two nodes of
 * the region, so signals cross the region's Redis bus), and exchange data through a real
 * relay of the meeting's region that enforces residency from the home region's state.
 * Policy 'relay' and peers bound to other loopback addresses than the relay's: the
 * selected pair must be relay/relay and the relay must have counted relayed bytes.
 * Then the host removes the other peer and the relay drops its allocation.
 */
import { randomBytes } from 'node:crypto'
import t from 'tap'
import nodeDataChannel, { type DataChannel, type PeerConnection } from 'node-datachannel'

import { hashApiKey, generateApiKey } from '../../../config/api-key.js'
import { parseConfig } from '../../../config/load-config.js'
import { buildApp, type ControlPlaneApp } from '../../../control-plane/app.js'
import { SignalClient } from '../../../control-plane/client/signal-client.js'
import { signalUrl } from '../../../control-plane/plugins/signaling.js'
import type { IceServerShape } from '../../../control-plane/protocol/server-messages.js'
import { GeoLocator } from '../../../geo/lookup.js'
import { startRegionRelay, type RegionRelay } from '../../../relay/region/region-relay.js'
import { openRegionState, type RegionState } from '../../../state/region-state.js'
import { dropPrefix } from '../app/fixture.js'
import { next, socketFrom } from '../signaling/support.js'

const REDIS = 'redis://127.0.0.1:6379'
const prefix = `t-e2e-${randomBytes(5).toString('hex')}`
const config = parseConfig({
  source: 'e2e.test',
  text: `
version: 1
regions:
  - id: eu-central
    country: DE
    location: { lat: 50.1, lon: 8.7 }
    controlPlane: { url: "http://127.0.0.1:18080" }
    redis: { url: "${REDIS}" }
    relaySecrets: [ { id: eu1, value: "eu-central-e2e-relay-secret-0001" } ]
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
    tokenSecret: acme-e2e-token-secret-${randomBytes(8).toString('hex')}
    allowedRegions: [eu-central]
    defaultRegion: eu-central
    security: { waitingRoom: false, passcodeRequired: false }
admin: { apiKeys: [ { id: admin, sha256: "${'a'.repeat(64)}" } ] }
`,
}, { env: {} })
const acme = config.tenantById('acme')!
const geo = new GeoLocator({ database: null, overrides: [{ cidr: '127.1.0.0/16', country: 'DE' }] })

interface CpNode { app: ControlPlaneApp; state: RegionState; url: string }
const nodes: CpNode[] = []
let relay: RegionRelay

async function startNode(nodeId: string): Promise<CpNode> {
  const state = openRegionState({ region: 'eu-central', redis: { url: REDIS }, prefix })
  await state.ready()
  const app = await buildApp({ region: 'eu-central', nodeId, config: () => config, state, geo, defaultMetrics: false })
  const address = await app.listen({ host: '127.0.0.1', port: 0 })
  const node = { app, state, url: signalUrl(address) }
  nodes.push(node)
  return node
}

t.before(async () => {
  relay = await startRegionRelay({ config, region: 'eu-central', id: 'eu-r1', metrics: null, statePrefix: prefix, heartbeatMs: 200 })
  await relay.heartbeat.beatNow()
})

t.teardown(async () => {
  nodeDataChannel.cleanup()
  await relay.close()
  if (nodes[0]) await dropPrefix(nodes[0].state, prefix)
  for (const n of nodes) {
    await n.app.close()
    await n.state.close()
  }
})

/** The welcome's TURN server in node-datachannel's object form (a REST username contains ':'). */
function turnOf(server: IceServerShape) {
  const url = server.urls.find((u) => u.startsWith('turn:') && u.includes('transport=udp'))!
  const [host, port] = url.slice('turn:'.length).split('?')[0]!.split(':')
  return { hostname: host!, port: Number(port), username: server.username!, password: server.credential!, relayType: 'TurnUdp' as const }
}

/** Wires a peer connection to the signaling client: local SDP/candidates out, remote ones in. */
function wire(pc: PeerConnection, client: SignalClient, peerId: () => string | undefined, candidates: string[]): void {
  pc.onLocalDescription((sdp, type) => {
    const to = peerId()!
    if (type === 'offer') client.offer(to, sdp, { dataChannels: [{ label: 'chat' }] })
    else client.answer(to, sdp)
  })
  pc.onLocalCandidate((candidate, mid) => {
    candidates.push(candidate)
    client.ice(peerId()!, { candidate, sdpMid: mid })
  })
  client.on('signal', (m) => {
    if (m.kind === 'offer' || m.kind === 'answer') pc.setRemoteDescription(m.payload, m.kind)
    else if (m.kind === 'ice' && m.payload !== '') {
      const c = JSON.parse(m.payload) as { candidate: string; sdpMid: string }
      pc.addRemoteCandidate(c.candidate, c.sdpMid)
    }
  })
}

const within = <T>(p: Promise<T>, what: string, ms = 20_000): Promise<T> =>
  Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out: ${what}`)), ms).unref())])

t.test('two WebRTC peers signal through two control-plane nodes and talk through the region relay only', async (t) => {
  const [a, b] = [await startNode('eu-cp-1'), await startNode('eu-cp-2')]
  const meetings = a.app.sovereign.meetings
  const meeting = await meetings.create(acme, {})
  const tokenOf = async (identity: string, role: 'host' | 'attendee') => (await meetings.mintToken(meeting.id, acme, { identity, role, displayName: identity })).token

  // Each peer's signaling socket leaves from the address its ICE agent binds: that is
  // the address the control plane records and the relay permits (guarantee 2).
  const alice = SignalClient.connect(a.url, { WebSocket: socketFrom('127.1.0.2'), token: await tokenOf('alice', 'host') })
  const aliceWelcome = await alice.joined
  t.equal(aliceWelcome.kind, 'welcome', 'alice is admitted on node 1')
  if (aliceWelcome.kind !== 'welcome') return
  const bobJoined = next(alice, 'participant-joined')
  const bob = SignalClient.connect(b.url, { WebSocket: socketFrom('127.1.0.3'), token: await tokenOf('bob', 'attendee') })
  const bobWelcome = await bob.joined
  t.equal(bobWelcome.kind, 'welcome', 'bob is admitted on node 2')
  if (bobWelcome.kind !== 'welcome') return
  const bobId = (await bobJoined)[0].participantId
  const aliceId = aliceWelcome.welcome.participantId
  t.teardown(async () => { await alice.close(); await bob.close() })

  const relayUdp = relay.node.addresses.find((x) => x.transport === 'udp')!
  for (const w of [aliceWelcome.welcome, bobWelcome.welcome]) {
    t.equal(w.iceServers.length, 1, 'one ICE server: the region relay')
    t.ok(w.iceServers[0]!.urls.includes(`turn:127.0.0.1:${relayUdp.port}?transport=udp`), 'at its real address from the fleet')
    t.match(w.iceServers[0]!.username, `:${meeting.id}:`, 'with a meeting-scoped credential')
  }

  let relayed = { toPeerBytes: 0, toClientBytes: 0 }
  relay.node.server.events.on('bytes-relayed', (c) => {
    relayed = { toPeerBytes: relayed.toPeerBytes + c.toPeerBytes, toClientBytes: relayed.toClientBytes + c.toClientBytes }
  })

  const alicePc = new nodeDataChannel.PeerConnection('alice', { iceServers: [turnOf(aliceWelcome.welcome.iceServers[0]!)], iceTransportPolicy: 'relay', bindAddress: '127.1.0.2' })
  const bobPc = new nodeDataChannel.PeerConnection('bob', { iceServers: [turnOf(bobWelcome.welcome.iceServers[0]!)], iceTransportPolicy: 'relay', bindAddress: '127.1.0.3' })
  const channels: DataChannel[] = []
  t.teardown(() => {
    for (const c of channels) c.close()
    alicePc.close()
    bobPc.close()
  })
  const candidates: string[] = []
  wire(alicePc, alice, () => bobId, candidates)
  wire(bobPc, bob, () => aliceId, candidates)

  const bobGot = new Promise<string>((resolve) => {
    bobPc.onDataChannel((dc) => {
      channels.push(dc)
      dc.onMessage((msg) => {
        resolve(String(msg))
        dc.sendMessage('hello alice, from bob')
      })
    })
  })
  const dc = alicePc.createDataChannel('chat')
  channels.push(dc)
  const aliceGot = new Promise<string>((resolve) => dc.onMessage((msg) => resolve(String(msg))))
  await within(new Promise<void>((resolve) => dc.onOpen(() => resolve())), 'data channel open')
  dc.sendMessage('hello bob, from alice')
  t.equal(await within(bobGot, 'bob receives'), 'hello bob, from alice')
  t.equal(await within(aliceGot, 'alice receives'), 'hello alice, from bob')

  for (const [name, pc] of [['alice', alicePc], ['bob', bobPc]] as const) {
    const pair = pc.getSelectedCandidatePair()
    t.equal(pair?.local.type, 'relay', `${name}'s local candidate is relayed`)
    t.equal(pair?.remote.type, 'relay', `${name}'s remote candidate is relayed`)
    t.equal(pair?.local.address, '127.0.0.1', `${name}'s relayed address is the region relay`)
  }
  t.ok(candidates.length > 0 && candidates.every((c) => / typ relay /.test(c)), 'only relay candidates crossed the signaling channel')
  relay.node.server.flush()
  t.ok(relayed.toPeerBytes > 0 && relayed.toClientBytes > 0, `the relay counted bytes both ways (${JSON.stringify(relayed)})`)
  t.equal(relay.node.server.table.size, 2, 'one allocation per peer')

  // The host removes bob: his socket closes with 4009 and the relay drops his allocation.
  const bobClosed = next(bob, 'close')
  const bobDropped = new Promise<{ participantId: string | undefined; cause: string }>((resolve) => {
    const off = relay.node.server.events.on('allocation-deleted', (info, cause) => {
      off()
      resolve({ participantId: info.participantId, cause })
    })
  })
  alice.remove(bobId)
  t.equal((await within(bobClosed, 'bob closed'))[0].code, 4009, 'the removed socket closes with 4009')
  t.same(await within(bobDropped, 'the relay drops the removed participant', 5000), { participantId: bobId, cause: 'revoked' }, 'the first allocation the relay drops is bob\'s, revoked')
  t.equal(relay.node.server.table.size, 1, 'the relay revoked the removed participant\'s allocation and kept alice\'s')
})
