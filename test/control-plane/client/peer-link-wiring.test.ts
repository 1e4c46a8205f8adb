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
  static all: RecordingPeerConnection[] = []
  readonly calls: string[] = []
  config: RTCConfiguration
  signalingState: RTCSignalingState = 'stable'
  iceConnectionState: RTCIceConnectionState = 'new'
  connectionState: RTCPeerConnectionState = 'new'
  iceGatheringState: RTCIceGatheringState = 'complete'
  addEventListener(): void {}
  removeEventListener(): void {}
  localDescription: { type: string; sdp: string } | null = null
  remoteDescription: { type: string; sdp: string } | null = null
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
    RecordingPeerConnection.all.push(this)
  }
  getConfiguration(): RTCConfiguration { return this.config }
  setConfiguration(config: RTCConfiguration): void { this.calls.push('setConfiguration'); this.config = config }
  restartIce(): void { this.calls.push('restartIce'); queueMicrotask(() => this.#negotiationNeeded()) }
  /** As a browser: only fired in the stable state. */
  #negotiationNeeded(): void { if (this.signalingState === 'stable') this.onnegotiationneeded?.() }
  async setLocalDescription(): Promise<void> {
    this.calls.push('setLocalDescription')
    if (this.signalingState === 'have-remote-offer') {
      this.localDescription = { type: 'answer', sdp: 'v=0\r\na=ice-ufrag:answer\r\n' }
      this.signalingState = 'stable'
      return
    }
    this.#offers += 1
    this.localDescription = { type: 'offer', sdp: `v=0\r\na=ice-ufrag:u${this.#offers}\r\n` }
    this.signalingState = 'have-local-offer'
  }
  async setRemoteDescription(d: { type: string; sdp: string }): Promise<void> {
    this.calls.push(`setRemoteDescription:${d.type}`)
    this.remoteDescription = d
    this.signalingState = d.type === 'offer' ? 'have-remote-offer' : 'stable'
  }
  async addIceCandidate(c?: { candidate?: string }): Promise<void> { this.calls.push(`addIceCandidate${c?.candidate === undefined ? '' : `:${c.candidate}`}`) }
  createDataChannel(label: string): { label: string } {
    this.calls.push(`createDataChannel:${label}`)
    queueMicrotask(() => this.#negotiationNeeded()) // the first channel needs negotiation, as in a browser
    return { label }
  }
  close(): void { this.calls.push('close') }
  failIce(): void { this.iceConnectionState = 'failed'; this.oniceconnectionstatechange?.() }
}

const PC = RecordingPeerConnection as unknown as typeof RTCPeerConnection
/** An SDP from a remote connection with this DTLS certificate. */
const sdpOf = (cert: string, ufrag = 'r') => `v=0\r\na=ice-ufrag:${ufrag}\r\na=fingerprint:sha-256 ${cert}\r\n`

async function until(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((resolve) => setTimeout(resolve, 5))
  if (!ok()) throw new Error('timed out')
}
const MEETING = 'eu-west.0123456789abcdefghjkmnpqrs'
const welcome: WelcomeMessage = {
  type: 'welcome', protocol: 1, participantId: 'p_a', displayName: 'A', role: 'attendee', capabilities: [],
  iceServers: [{ urls: ['turn:127.0.0.1:3478?transport=udp'], username: 'u', credential: 'c' }], participants: [],
  meeting: {
    id: MEETING, homeRegion: 'eu-west', residencyMode: 'region', keyMode: 'e2ee', locked: false, waitingRoom: false,
    joinBeforeHost: true, hostOnlyScreenShare: true, fileTransfer: false, recording: 'off', capacity: 10,
  },
}

async function linked(t: Test, options: { iceTransportPolicy?: RTCIceTransportPolicy; polite?: boolean; rebuildFallbackMs?: number; stalledMs?: number } = {}) {
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
  conn.send({ type: 'signal', from: 'p_b', kind: 'answer', payload: sdpOf('AA') })
  await until(() => pc.signalingState === 'stable')
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


/** A link whose connection negotiated with the remote's first connection (certificate AA): we offered, it answered. */
async function negotiated(t: Test, options: { polite?: boolean } = {}) {
  const linkedUp = await linked(t, options)
  const { conn, link, pc } = linkedUp
  const channels: RTCDataChannel[] = []
  link.on('datachannel', (dc) => channels.push(dc))
  link.createDataChannel('probe', { negotiated: true, id: 1 })
  await conn.messages.next() // our offer
  conn.send({ type: 'signal', from: 'p_b', kind: 'answer', payload: sdpOf('AA') })
  await until(() => pc.signalingState === 'stable')
  pc.connectionState = 'connected'
  return { ...linkedUp, channels }
}

t.test('an offer with a new DTLS fingerprint (the remote rebuilt) is answered from a new connection, which keeps the old one until it connects', async (t) => {
  const { conn, link, pc, channels } = await negotiated(t)
  const rebuilt = new Promise((resolve) => link.once('rebuilt', resolve))
  conn.send({ type: 'signal', from: 'p_b', kind: 'offer', payload: sdpOf('BB') })
  t.equal(await rebuilt, 'remote-restart')
  const answer = await conn.messages.next()
  t.same(answer.type === 'signal' ? [answer.kind, answer.payload] : answer.type, ['answer', 'v=0\r\na=ice-ufrag:answer\r\n'], 'answered')
  const fresh = RecordingPeerConnection.last
  t.not(fresh, pc, 'from a new peer connection')
  t.equal(link.pc, fresh as unknown as RTCPeerConnection, 'which is the link\'s pc now')
  t.same(fresh.calls, ['createDataChannel:probe', 'setRemoteDescription:offer', 'setLocalDescription'], 'with our channel re-created on it before the offer is applied')
  t.equal(fresh.config.iceTransportPolicy, 'relay', 'relay-only, as the first')
  t.same(channels.map((c) => c.label), ['probe'], 'and handed to the app as a datachannel')
  t.notOk(pc.calls.includes('close'), 'the old connection, still connected, is kept')
  fresh.connectionState = 'connected'
  fresh.onconnectionstatechange?.()
  t.ok(pc.calls.includes('close'), 'until the new one connects')
})

t.test('an offer with the same fingerprint (an ICE restart) is applied to the same connection', async (t) => {
  const { conn, pc } = await negotiated(t)
  conn.send({ type: 'signal', from: 'p_b', kind: 'offer', payload: sdpOf('AA', 'r2') })
  await conn.messages.next()
  t.equal(RecordingPeerConnection.last, pc, 'no new connection')
  t.same(pc.calls.slice(-2), ['setRemoteDescription:offer', 'setLocalDescription'])
})

t.test('an answer with a new fingerprint to our ICE restart: the link rebuilds and offers from the new connection', async (t) => {
  const { conn, link, pc } = await negotiated(t, { polite: false })
  link.restartIce()
  await conn.messages.next() // the restart offer, from the old connection
  conn.send({ type: 'signal', from: 'p_b', kind: 'answer', payload: sdpOf('BB') })
  const offer = await conn.messages.next()
  t.equal(offer.type === 'signal' ? offer.kind : offer.type, 'offer', 'a new offer')
  t.not(RecordingPeerConnection.last, pc, 'from a new connection')
  t.equal(pc.calls.filter((c) => c === 'setRemoteDescription:answer').length, 1, 'the old connection took the first answer, never the rebuilt one')

  // The remote now rebuilds: the next ice-restart rebuilds at once on the impolite side, with no restartIce.
  const before = RecordingPeerConnection.last
  conn.send({ type: 'signal', from: 'p_b', kind: 'answer', payload: sdpOf('CC') })
  await until(() => before.signalingState === 'stable')
  conn.send({ type: 'ice-restart', reason: 'relay-lost', relayId: 'r1', iceServers: [{ urls: ['turn:127.0.0.2:3478?transport=udp'] }] })
  const again = await conn.messages.next()
  t.equal(again.type === 'signal' ? again.kind : again.type, 'offer', 'the impolite side offers')
  const third = RecordingPeerConnection.last
  t.not(third, before, 'from a rebuilt connection')
  t.notOk(before.calls.includes('restartIce'), 'not an ICE restart the remote cannot answer')
  t.same(third.config.iceServers, [{ urls: ['turn:127.0.0.2:3478?transport=udp'] }], 'on the new servers')
})

t.test('a polite link whose remote rebuilds waits for the remote\'s offer after an ice-restart, and rebuilds itself if none comes', async (t) => {
  const { conn, link, pc } = await linked(t, { polite: true, rebuildFallbackMs: 200 })
  link.createDataChannel('probe', { negotiated: true, id: 1 })
  await conn.messages.next()
  conn.send({ type: 'signal', from: 'p_b', kind: 'answer', payload: sdpOf('AA') })
  await until(() => pc.signalingState === 'stable')
  conn.send({ type: 'signal', from: 'p_b', kind: 'offer', payload: sdpOf('BB') }) // the remote rebuilt once
  await conn.messages.next()
  const second = RecordingPeerConnection.last
  const count = RecordingPeerConnection.all.length
  conn.send({ type: 'ice-restart', reason: 'relay-lost', relayId: 'r1', iceServers: [{ urls: ['turn:127.0.0.2:3478?transport=udp'] }] })
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(RecordingPeerConnection.all.length, count, 'no rebuild at once: the impolite remote rebuilds and offers')
  t.notOk(second.calls.includes('restartIce'), 'and no ICE restart offer')
  const offer = await conn.messages.next()
  t.equal(offer.type === 'signal' ? offer.kind : offer.type, 'offer', 'no offer came within the fallback: it rebuilds and offers itself')
  t.not(RecordingPeerConnection.last, second)
})

t.test('a remote candidate that overtakes its description is applied after it, not dropped', async (t) => {
  const { conn, pc } = await linked(t)
  conn.send({ type: 'signal', from: 'p_b', kind: 'ice', payload: JSON.stringify({ candidate: 'candidate:1 1 udp 1 127.0.0.9 5000 typ relay', sdpMid: '0' }) })
  conn.send({ type: 'signal', from: 'p_b', kind: 'offer', payload: sdpOf('AA') })
  await conn.messages.next()
  t.same(pc.calls.slice(0, 3), ['setRemoteDescription:offer', 'addIceCandidate:candidate:1 1 udp 1 127.0.0.9 5000 typ relay', 'setLocalDescription'])
})

t.test('a new connection not connected soon after its remote description is replaced by a new one, offered', async (t) => {
  const { conn, link, pc } = await linked(t, { stalledMs: 50 })
  link.createDataChannel('probe', { negotiated: true, id: 1 })
  await conn.messages.next()
  const rebuilt = new Promise((resolve) => link.once('rebuilt', resolve))
  pc.connectionState = 'connecting'
  conn.send({ type: 'signal', from: 'p_b', kind: 'answer', payload: sdpOf('AA') })
  t.equal(await rebuilt, 'stalled')
  const offer = await conn.messages.next()
  t.equal(offer.type === 'signal' ? offer.kind : offer.type, 'offer', 'the new connection offers')
  t.not(RecordingPeerConnection.last, pc)
  t.ok(pc.calls.includes('close'), 'the stalled one, never connected, is closed')
})

t.test('a new connection that connects in time is kept', async (t) => {
  const { conn, link, pc } = await linked(t, { stalledMs: 50 })
  link.createDataChannel('probe', { negotiated: true, id: 1 })
  await conn.messages.next()
  let rebuilt = false
  link.on('rebuilt', () => { rebuilt = true })
  conn.send({ type: 'signal', from: 'p_b', kind: 'answer', payload: sdpOf('AA') })
  await until(() => pc.signalingState === 'stable')
  pc.connectionState = 'connected'
  pc.onconnectionstatechange?.()
  await new Promise((resolve) => setTimeout(resolve, 120))
  t.notOk(rebuilt, 'no rebuild')
  t.equal(RecordingPeerConnection.last, pc)
})
