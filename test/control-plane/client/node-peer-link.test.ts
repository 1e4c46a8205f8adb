/**
 * NodePeerLink with real node-datachannel peers and real relays: the call runs through
 * relay A; relay A dies; the control plane sends both an `ice-restart` naming relay B.
 * Without ICE restart in libdatachannel, the impolite helper builds a new peer connection
 * on relay B and offers, the polite one follows that offer with a new connection of its own
 * (never one of each, thrown away on the collision: libdatachannel does not release its
 * TURN allocation), and the (pre-negotiated) data channel carries data again.
 */
import nodeDataChannel from 'node-datachannel'
import t, { type Test } from 'tap'
import WebSocket from 'ws'

import { NodePeerLink, ndcIceServers, type NdcDataChannel, type NdcPeerConnectionConstructor } from '../../../control-plane/client/node-peer-link.js'
import { SignalClient, type WebSocketConstructor } from '../../../control-plane/client/signal-client.js'
import type { IceServerShape, WelcomeMessage } from '../../../control-plane/protocol/server-messages.js'
import { mintTurnCredential } from '../../../relay/auth/index.js'
import { startRelayNode, type RelayNode } from '../../../relay/relay-node.js'
import { FakeControlPlane, forwardSignals, type FakeConnection } from './fake-control-plane.js'

const SECRET = 'node-peer-link-secret-0123'
const MEETING = 'eu-west.0123456789abcdefghjkmnpqrs'
const WS = WebSocket as unknown as WebSocketConstructor

function welcome(participantId: string, iceServers: IceServerShape[]): WelcomeMessage {
  return {
    type: 'welcome', protocol: 1, participantId, displayName: participantId, role: 'attendee', capabilities: [], iceServers, participants: [],
    meeting: {
      id: MEETING, homeRegion: 'eu-west', residencyMode: 'region', keyMode: 'e2ee', locked: false, waitingRoom: false,
      joinBeforeHost: true, hostOnlyScreenShare: true, fileTransfer: false, recording: 'off', capacity: 10,
    },
  }
}

function serverOf(relay: RelayNode, participantId: string): IceServerShape {
  const udp = relay.addresses.find((a) => a.transport === 'udp')!
  const c = mintTurnCredential({ secret: SECRET, meetingId: MEETING, participantId, ttlSeconds: 600, now: Date.now })
  return { urls: [`turn:127.0.0.1:${udp.port}?transport=udp`], username: c.username, credential: c.password, expiresAt: c.expiresAt }
}

const within = <T>(p: Promise<T>, what: string, ms = 20_000): Promise<T> =>
  Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out: ${what}`)), ms).unref())])

t.test('the protocol\'s ICE servers become node-datachannel TURN servers (a REST username keeps its colons)', async (t) => {
  t.same(ndcIceServers([{ urls: ['turn:127.0.0.1:3478?transport=udp', 'turn:127.0.0.1:3478?transport=tcp', 'turns:[::1]:5349?transport=tcp', 'stun:127.0.0.1:3478'], username: '1700000000:m:p', credential: 'pw' }]), [
    { hostname: '127.0.0.1', port: 3478, relayType: 'TurnUdp', username: '1700000000:m:p', password: 'pw' },
    { hostname: '127.0.0.1', port: 3478, relayType: 'TurnTcp', username: '1700000000:m:p', password: 'pw' },
    { hostname: '::1', port: 5349, relayType: 'TurnTls', username: '1700000000:m:p', password: 'pw' },
  ])
})

t.test('an ice-restart rebuilds each node-datachannel peer once on the named relay and the channel carries data again', async (t) => {
  const relays = await Promise.all(['a', 'b'].map(() => startRelayNode({ listen: ['127.0.0.1:0'], secrets: [SECRET], allowPeers: ['127.0.0.0/8'] })))
  const [relayA, relayB] = relays as [RelayNode, RelayNode]
  t.teardown(() => relayB.close())
  const allocations = { a: 0, b: 0 }
  relayA.server.events.on('allocation-created', () => { allocations.a += 1 })
  relayB.server.events.on('allocation-created', () => { allocations.b += 1 })
  const cp = await FakeControlPlane.start()
  t.teardown(() => cp.stop())

  const join = async (id: string) => {
    const client = SignalClient.connect(cp.url, { WebSocket: WS, token: `tok.en.${id}` })
    t.teardown(() => client.close())
    const conn = await cp.connections.next()
    await conn.messages.next()
    conn.send(welcome(id, [serverOf(relayA, id)]))
    await client.joined
    return { client, conn }
  }
  const a = await join('p_a')
  const b = await join('p_b')
  void forwardSignals(a.conn, 'p_a', b.conn)
  void forwardSignals(b.conn, 'p_b', a.conn)

  const PeerConnection = nodeDataChannel.PeerConnection as unknown as NdcPeerConnectionConstructor
  const channels = [{ label: 'chat', id: 1 }]
  const linkB = new NodePeerLink(b.client, { remote: 'p_a', PeerConnection, channels, offer: false, bindAddress: '127.0.0.1' })
  linkB.on('channel', (label, dc) => { if (label === 'chat') dc.onMessage((m) => dc.sendMessage(String(m))) })
  let current: NdcDataChannel | undefined
  const linkA = new NodePeerLink(a.client, { remote: 'p_b', PeerConnection, channels, offer: true, bindAddress: '127.0.0.1' })
  linkA.on('channel', (_label, dc) => { current = dc })
  t.teardown(() => { linkA.close(); linkB.close(); nodeDataChannel.cleanup() })
  const rebuilt: string[] = []
  let onRebuilt = () => {}
  linkA.on('rebuilt', (r) => { rebuilt.push(`a:${r}`); onRebuilt() })
  linkB.on('rebuilt', (r) => { rebuilt.push(`b:${r}`); onRebuilt() })
  const bothRebuilt = new Promise<void>((resolve) => { onRebuilt = () => { if (rebuilt.includes('a:relay-lost') && rebuilt.includes('b:remote-restart')) resolve() } })
  linkB.start()
  linkA.start()

  const exchange = async (text: string) => {
    const deadline = Date.now() + 20_000
    for (;;) {
      const dc = current
      if (dc?.isOpen()) {
        const got = new Promise<string>((resolve) => dc.onMessage((m) => resolve(String(m))))
        dc.sendMessage(text)
        const answer = await Promise.race([got, new Promise<undefined>((r) => setTimeout(() => r(undefined), 300))])
        if (answer === text) return answer
      } else {
        await new Promise((r) => setTimeout(r, 50)) // nothing to await on a channel that is not there yet
      }
      if (Date.now() > deadline) throw new Error(`no echo of ${text}`)
    }
  }
  t.equal(await within(exchange('before'), 'first echo'), 'before', 'the channel carries data through relay A')
  t.ok(allocations.a >= 2 && allocations.b === 0, `relay A allocated for both, relay B for none (${allocations.a}, ${allocations.b})`)

  await relayA.close()
  const restartedAt = Date.now()
  a.conn.send({ type: 'ice-restart', reason: 'relay-lost', relayId: 'relay-a', iceServers: [serverOf(relayB, 'p_a')] })
  b.conn.send({ type: 'ice-restart', reason: 'relay-lost', relayId: 'relay-a', iceServers: [serverOf(relayB, 'p_b')] })
  await within(bothRebuilt, 'both links rebuilt')
  t.equal(await within(exchange('after'), 'echo after the restart'), 'after', 'a new connection on relay B carries data again')
  t.comment(`data flowed again ${Date.now() - restartedAt} ms after the ice-restart`)
  t.equal(allocations.b, 2, 'relay B allocated once for each: no connection was built and thrown away')
  t.same(rebuilt, ['a:relay-lost', 'b:remote-restart'], 'the impolite side (p_a) rebuilt for the lost relay and offered; the polite one followed its offer')
})

/** A structural node-datachannel PeerConnection whose state the test moves by hand. */
/** A signaling client joined as `id` on a fake control plane (one TURN server), with no scripted connection made yet. */
async function joinedOnFake(t: Test, id: string): Promise<{ client: SignalClient; conn: FakeConnection }> {
  const cp = await FakeControlPlane.start()
  t.teardown(() => cp.stop())
  const client = SignalClient.connect(cp.url, { WebSocket: WS, token: `tok.en.${id}` })
  t.teardown(() => client.close())
  const conn = await cp.connections.next()
  await conn.messages.next()
  conn.send(welcome(id, [{ urls: ['turn:127.0.0.1:3478?transport=udp'], username: 'u', credential: 'c' }]))
  await client.joined
  ScriptedPeerConnection.made = []
  return { client, conn }
}

class ScriptedPeerConnection {
  static made: ScriptedPeerConnection[] = []
  closed = false
  offered = false
  #state = 'new'
  #remote: { type: string; sdp: string } | null = null
  #onState: (state: string) => void = () => {}
  constructor(readonly name: string, readonly config: { iceServers: Array<{ hostname: string }> }) { ScriptedPeerConnection.made.push(this) }
  close() { this.closed = true }
  setLocalDescription(type?: string) { if (type === 'offer') this.offered = true }
  setRemoteDescription(sdp: string, type: string) { this.#remote = { sdp, type } }
  addRemoteCandidate() {}
  createDataChannel(): NdcDataChannel {
    return { close() {}, isOpen: () => false, sendMessage: () => true, onOpen() {}, onClosed() {}, onMessage() {} }
  }
  state() { return this.#state }
  signalingState() { return 'stable' }
  remoteDescription() { return this.#remote }
  onLocalDescription() {}
  onLocalCandidate() {}
  onStateChange(cb: (state: string) => void) { this.#onState = cb }
  move(state: string) { this.#state = state; this.#onState(state) }
}

t.test('make before break: a connection still connected when an ice-restart replaces it stays open until the new one connects', async (t) => {
  const { client, conn } = await joinedOnFake(t, 'p_a')
  const link = new NodePeerLink(client, { remote: 'p_b', PeerConnection: ScriptedPeerConnection as unknown as NdcPeerConnectionConstructor, channels: [{ label: 'chat', id: 1 }], offer: true })
  t.teardown(() => link.close())
  link.start()
  const [first] = ScriptedPeerConnection.made
  first!.move('connected')

  const rebuilt = new Promise((resolve) => link.once('rebuilt', resolve))
  conn.send({ type: 'ice-restart', reason: 'relay-draining', relayId: 'relay-a', iceServers: [{ urls: ['turn:127.0.0.2:3478?transport=udp'], username: 'u', credential: 'c' }] })
  await within(rebuilt, 'rebuilt')
  const second = ScriptedPeerConnection.made[1]!
  t.equal(link.pc, second as never, 'the new connection is the current one')
  t.equal(first!.closed, false, 'the old one, still connected through the draining relay, stays open meanwhile')

  second.move('connected')
  await new Promise((resolve) => setImmediate(resolve)) // the old one is closed outside the native callback
  await new Promise((resolve) => setTimeout(resolve, 1))
  t.equal(first!.closed, true, 'and closes once the new one connected')

  // A connection that never connected carries nothing: replaced, it closes at once.
  const rebuiltAgain = new Promise((resolve) => link.once('rebuilt', resolve))
  second.move('connected')
  conn.send({ type: 'ice-restart', reason: 'relay-lost', relayId: 'relay-b', iceServers: [{ urls: ['turn:127.0.0.3:3478?transport=udp'], username: 'u', credential: 'c' }] })
  await within(rebuiltAgain, 'rebuilt again')
  const third = ScriptedPeerConnection.made[2]!
  const rebuiltThird = new Promise((resolve) => link.once('rebuilt', resolve))
  conn.send({ type: 'ice-restart', reason: 'relay-lost', relayId: 'relay-c', iceServers: [{ urls: ['turn:127.0.0.4:3478?transport=udp'], username: 'u', credential: 'c' }] })
  await within(rebuiltThird, 'rebuilt a third time')
  t.equal(third.closed, true, 'the never-connected one closes at once')
  t.equal(second.closed, false, 'while the last connected one still waits for its successor')
  link.close()
  t.equal(second.closed, true, 'closing the link closes it too')
})

t.test('the polite side of an ice-restart keeps the new servers and waits for the other side\'s offer; it offers itself only if none comes', async (t) => {
  const { client, conn } = await joinedOnFake(t, 'p_b')
  // p_b sorts after p_a: the polite side. It answered p_a's first offer.
  const link = new NodePeerLink(client, { remote: 'p_a', PeerConnection: ScriptedPeerConnection as unknown as NdcPeerConnectionConstructor, channels: [{ label: 'chat', id: 1 }], offer: false, restartFallbackMs: 300 })
  t.teardown(() => link.close())
  const rebuilt: string[] = []
  link.on('rebuilt', (r) => rebuilt.push(r))
  link.start()
  const offer = (sdp: string) => conn.send({ type: 'signal', from: 'p_a', kind: 'offer', payload: sdp })
  const made = (n: number) => within(new Promise<void>((resolve) => { const check = () => (ScriptedPeerConnection.made.length >= n ? resolve() : setTimeout(check, 5)); check() }), `${n} connections`)
  offer('v=0 first')
  await new Promise((resolve) => setTimeout(resolve, 50))
  ScriptedPeerConnection.made[0]!.move('connected')

  conn.send({ type: 'ice-restart', reason: 'relay-draining', relayId: 'relay-a', iceServers: [{ urls: ['turn:127.0.0.2:3478?transport=udp'], username: 'u', credential: 'c' }] })
  await new Promise((resolve) => setTimeout(resolve, 100))
  t.equal(ScriptedPeerConnection.made.length, 1, 'no new connection on the ice-restart itself')
  offer('v=0 restarted')
  await made(2)
  const second = ScriptedPeerConnection.made[1]!
  t.same(second.config.iceServers.map((s) => s.hostname), ['127.0.0.2'], 'the other side\'s offer is followed by a connection on the new servers')
  t.equal(second.offered, false, 'which answers it')
  await new Promise((resolve) => setTimeout(resolve, 400))
  t.equal(ScriptedPeerConnection.made.length, 2, 'and no fallback offer follows once it came')
  second.move('connected')

  conn.send({ type: 'ice-restart', reason: 'relay-lost', relayId: 'relay-b', iceServers: [{ urls: ['turn:127.0.0.3:3478?transport=udp'], username: 'u', credential: 'c' }] })
  await made(3)
  const third = ScriptedPeerConnection.made[2]!
  t.same(third.config.iceServers.map((s) => s.hostname), ['127.0.0.3'], 'with no offer within restartFallbackMs, it rebuilds on the new servers')
  t.equal(third.offered, true, 'and offers itself')
  t.same(rebuilt, ['remote-restart', 'relay-lost'], 'rebuilt once per ice-restart')
})

t.test('an offer for a connection built on servers an ice-restart since replaced is answered by a new connection on the new ones', async (t) => {
  const { client, conn } = await joinedOnFake(t, 'p_b')
  // The polite side, started but never offered to: the call was not up yet when its relay went.
  const link = new NodePeerLink(client, { remote: 'p_a', PeerConnection: ScriptedPeerConnection as unknown as NdcPeerConnectionConstructor, channels: [{ label: 'chat', id: 1 }], offer: false, restartFallbackMs: 5000 })
  t.teardown(() => link.close())
  link.start()
  conn.send({ type: 'ice-restart', reason: 'relay-lost', relayId: 'relay-a', iceServers: [{ urls: ['turn:127.0.0.2:3478?transport=udp'], username: 'u', credential: 'c' }] })
  await new Promise((resolve) => setTimeout(resolve, 50))
  conn.send({ type: 'signal', from: 'p_a', kind: 'offer', payload: 'v=0 on the new relay' })
  const deadline = Date.now() + 1000 // well before the fallback (5 s) would rebuild anyway
  while (ScriptedPeerConnection.made.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5))
  t.equal(ScriptedPeerConnection.made.length, 2, 'a new connection answers it')
  t.same(ScriptedPeerConnection.made[1]!.config.iceServers.map((s) => s.hostname), ['127.0.0.2'], 'on the new servers')
  t.equal(ScriptedPeerConnection.made[0]!.closed, true, 'and the old one, which never connected, is closed')
})

t.test('released() waits until every connection the link built, replaced ones too, reported closed', async (t) => {
  const { client, conn } = await joinedOnFake(t, 'p_a')
  const link = new NodePeerLink(client, { remote: 'p_b', PeerConnection: ScriptedPeerConnection as unknown as NdcPeerConnectionConstructor, channels: [{ label: 'chat', id: 1 }], offer: true })
  link.start()
  const [first] = ScriptedPeerConnection.made
  first!.move('connected')
  const rebuilt = new Promise((resolve) => link.once('rebuilt', resolve))
  conn.send({ type: 'ice-restart', reason: 'relay-lost', relayId: 'relay-a', iceServers: [{ urls: ['turn:127.0.0.2:3478?transport=udp'], username: 'u', credential: 'c' }] })
  await within(rebuilt, 'rebuilt')
  const second = ScriptedPeerConnection.made[1]!
  link.close()
  let released = false
  const done = link.released(10_000).then(() => { released = true })
  second.move('closed')
  await new Promise((resolve) => setTimeout(resolve, 5))
  t.equal(released, false, 'not while the replaced connection has not reported closed')
  first!.move('closed')
  await within(done, 'released')
  t.equal(released, true, 'once both have')
  t.equal(await Promise.race([link.released(10_000).then(() => 'at once'), new Promise((resolve) => setTimeout(() => resolve('waited'), 50))]), 'at once', 'and at once after that')
})
