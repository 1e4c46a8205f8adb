/**
 * PeerLink's wiring, in Node with a recording stand-in for RTCPeerConnection (the real
 * browser run is peer-link.test.ts): what it asks the peer connection to do on each
 * signaling event, and what it sends back over the real signaling client to a scripted
 * control plane.
 */
import t, { type Test } from 'tap'
import WebSocket from 'ws'

import { PeerLink } from '../../../control-plane/client/peer-link.js'
import { SignalClient, type WebSocketConstructor } from '../../../control-plane/client/signal-client.js'
import type { WelcomeMessage } from '../../../control-plane/protocol/server-messages.js'
import { FakeControlPlane } from './fake-control-plane.js'

/** Records calls; `restartIce` and the first data channel fire negotiationneeded as a browser does. */
class RecordingPeerConnection {
  static last: RecordingPeerConnection
  readonly calls: string[] = []
  config: RTCConfiguration
  signalingState: RTCSignalingState = 'stable'
  iceConnectionState: RTCIceConnectionState = 'new'
  connectionState: RTCPeerConnectionState = 'new'
  localDescription: { type: string; sdp: string } | null = null
  onicecandidate: ((e: { candidate: null }) => void) | null = null
  onnegotiationneeded: (() => void) | null = null
  ondatachannel: unknown = null
  ontrack: unknown = null
  onconnectionstatechange: (() => void) | null = null
  oniceconnectionstatechange: (() => void) | null = null
  #offers = 0
  constructor(config: RTCConfiguration) {
    this.config = config
    RecordingPeerConnection.last = this
  }
  getConfiguration(): RTCConfiguration { return this.config }
  setConfiguration(config: RTCConfiguration): void { this.calls.push('setConfiguration'); this.config = config }
  restartIce(): void { this.calls.push('restartIce'); queueMicrotask(() => this.onnegotiationneeded?.()) }
  async setLocalDescription(): Promise<void> {
    this.#offers += 1
    this.calls.push('setLocalDescription')
    this.localDescription = { type: 'offer', sdp: `v=0\r\na=ice-ufrag:u${this.#offers}\r\n` }
  }
  async setRemoteDescription(d: { type: string }): Promise<void> { this.calls.push(`setRemoteDescription:${d.type}`) }
  async addIceCandidate(): Promise<void> { this.calls.push('addIceCandidate') }
  createDataChannel(label: string): { label: string } {
    this.calls.push(`createDataChannel:${label}`)
    queueMicrotask(() => this.onnegotiationneeded?.()) // the first channel needs negotiation, as in a browser
    return { label }
  }
  close(): void { this.calls.push('close') }
  failIce(): void { this.iceConnectionState = 'failed'; this.oniceconnectionstatechange?.() }
}

const PC = RecordingPeerConnection as unknown as typeof RTCPeerConnection
const MEETING = 'eu-west.0123456789abcdefghjkmnpqrs'
const welcome: WelcomeMessage = {
  type: 'welcome', protocol: 1, participantId: 'p_a', displayName: 'A', role: 'attendee', capabilities: [],
  iceServers: [{ urls: ['turn:127.0.0.1:3478?transport=udp'], username: 'u', credential: 'c' }], participants: [],
  meeting: {
    id: MEETING, homeRegion: 'eu-west', residencyMode: 'region', keyMode: 'e2ee', locked: false, waitingRoom: false,
    joinBeforeHost: true, hostOnlyScreenShare: true, fileTransfer: false, recording: 'off', capacity: 10,
  },
}

async function linked(t: Test, options: { iceTransportPolicy?: RTCIceTransportPolicy } = {}) {
  const cp = await FakeControlPlane.start()
  t.teardown(() => cp.stop())
  const client = SignalClient.connect(cp.url, { WebSocket: WebSocket as unknown as WebSocketConstructor, token: 'tok.en.x', reconnect: { initialDelayMs: 5 } })
  t.teardown(() => client.close())
  const conn = await cp.connections.next()
  await conn.messages.next()
  conn.send(welcome)
  await client.joined
  const link = new PeerLink(client, { remote: 'p_b', RTCPeerConnection: PC, ...options })
  t.teardown(() => link.close())
  return { cp, client, conn, link, pc: RecordingPeerConnection.last }
}

t.test('the peer connection is relay-only by default, with the welcome\'s ICE servers', async (t) => {
  const { pc } = await linked(t)
  t.equal(pc.config.iceTransportPolicy, 'relay')
  t.same(pc.config.iceServers, [{ urls: ['turn:127.0.0.1:3478?transport=udp'], username: 'u', credential: 'c' }])
})

t.test('an ice-restart sets the new servers, restarts ICE and sends the new offer with the declared channels', async (t) => {
  const { conn, link, pc } = await linked(t)
  link.createDataChannel('chat')
  t.same((await conn.messages.next()), { type: 'signal', to: 'p_b', kind: 'offer', payload: 'v=0\r\na=ice-ufrag:u1\r\n', dataChannels: [{ label: 'chat' }] }, 'the first offer')
  pc.calls.length = 0
  const restarted = new Promise((resolve) => link.once('ice-restart', resolve))
  conn.send({ type: 'ice-restart', reason: 'relay-draining', relayId: 'r1', iceServers: [{ urls: ['turn:127.0.0.2:3478?transport=udp'] }] })
  t.equal(await restarted, 'relay-draining')
  t.same(pc.config.iceServers, [{ urls: ['turn:127.0.0.2:3478?transport=udp'] }], 'the new servers are in force')
  t.equal(pc.config.iceTransportPolicy, 'relay', 'still relay-only')
  t.same((await conn.messages.next()), { type: 'signal', to: 'p_b', kind: 'offer', payload: 'v=0\r\na=ice-ufrag:u2\r\n', dataChannels: [{ label: 'chat' }] }, 'a new offer goes out')
  t.same(pc.calls, ['setConfiguration', 'restartIce', 'setLocalDescription'], 'setConfiguration, then restartIce, then the offer')
})

t.test('when its own ICE fails the link asks for fresh servers once, and applies the answer', async (t) => {
  const { conn, pc } = await linked(t)
  pc.failIce()
  pc.failIce()
  const request = await conn.messages.next()
  t.equal(request.type, 'ice-servers-request', 'one request')
  if (request.type !== 'ice-servers-request') return
  conn.send({ type: 'ice-restart', re: request.id, reason: 'requested', iceServers: [{ urls: ['turn:127.0.0.3:3478?transport=udp'] }] })
  const offer = await conn.messages.next()
  t.equal(offer.type === 'signal' ? offer.kind : offer.type, 'offer', 'the restart offer follows; no second request was sent')
  t.same(pc.config.iceServers, [{ urls: ['turn:127.0.0.3:3478?transport=udp'] }])
})

t.test('with no relay left the refusal surfaces as an error on the link', async (t) => {
  const { conn, link, pc } = await linked(t)
  const failed = new Promise<Error>((resolve) => link.once('error', resolve))
  pc.failIce()
  const request = await conn.messages.next()
  if (request.type !== 'ice-servers-request') return t.fail('expected a request')
  conn.send({ type: 'error', re: request.id, code: 'SR_NO_RELAY_AVAILABLE', message: "no relay of the meeting's allowed regions is live" })
  t.match(await failed, { code: 'SR_NO_RELAY_AVAILABLE' })
})

t.test('e2ee key messages pass both ways between the two participants only', async (t) => {
  const { conn, link } = await linked(t)
  const key = new Promise((resolve) => link.once('key', resolve))
  conn.send({ type: 'signal', from: 'p_c', kind: 'key', payload: 'not-for-this-link' })
  conn.send({ type: 'signal', from: 'p_b', kind: 'key', payload: 'sealed-by-b' })
  t.equal(await key, 'sealed-by-b', 'only the remote participant\'s key message reaches this link')
  link.sendKey('sealed-by-a')
  t.same(await conn.messages.next(), { type: 'signal', to: 'p_b', kind: 'key', payload: 'sealed-by-a' })
})

t.test('a remote offer is answered through signaling', async (t) => {
  const { conn, pc } = await linked(t)
  conn.send({ type: 'signal', from: 'p_b', kind: 'offer', payload: 'v=0\r\n' })
  const answer = await conn.messages.next()
  t.equal(answer.type === 'signal' ? answer.kind : answer.type, 'answer')
  t.same(pc.calls.slice(0, 2), ['setRemoteDescription:offer', 'setLocalDescription'])
})

t.test('after a signaling reconnect the link takes the fresh servers, and restarts ICE only when media is not flowing', async (t) => {
  const { cp, client, conn, link, pc } = await linked(t)
  const fresh = { ...welcome, iceServers: [{ urls: ['turn:127.0.0.4:3478?transport=udp'] }] }
  // Media flows: only the configuration changes.
  pc.iceConnectionState = 'connected'
  // Registered after the link's own listener, so it runs once the link has acted.
  const back = new Promise((resolve) => client.once('reconnected', resolve))
  conn.socket.terminate()
  const again = await cp.connections.next()
  await again.messages.next()
  again.send(fresh)
  await back
  t.same(pc.calls, ['setConfiguration'], 'connected: new servers, no restart')
  t.same(pc.config.iceServers, [{ urls: ['turn:127.0.0.4:3478?transport=udp'] }])

  // Not flowing: the reconnect restarts ICE (whatever was in flight may have been lost).
  pc.calls.length = 0
  pc.iceConnectionState = 'disconnected'
  const restarted = new Promise((resolve) => link.once('ice-restart', resolve))
  again.socket.terminate()
  const third = await cp.connections.next()
  await third.messages.next()
  third.send(fresh)
  t.equal(await restarted, 'reconnected')
  t.same(pc.calls.slice(0, 2), ['setConfiguration', 'restartIce'])
})

t.test('a link created inside the app\'s own signal listener is handed the offer that prompted it, and answers', async (t) => {
  const { client, conn } = await linked(t)
  let late: PeerLink | undefined
  client.on('signal', (m) => {
    if (m.from !== 'p_late' || late) return
    late = new PeerLink(client, { remote: 'p_late', RTCPeerConnection: PC })
    late.handleSignal(m)
  })
  t.teardown(() => late?.close())
  conn.send({ type: 'signal', from: 'p_late', kind: 'offer', payload: 'v=0\r\n' })
  const answer = await conn.messages.next()
  t.same(answer.type === 'signal' ? [answer.to, answer.kind] : answer.type, ['p_late', 'answer'])
})
