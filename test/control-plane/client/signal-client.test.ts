import t, { type Test } from 'tap'
import WebSocket from 'ws'

import { generateParticipantKeyPair } from '../../../control-plane/client/open-key.js'
import { SignalClient, type ReconnectingEvent, type WebSocketConstructor } from '../../../control-plane/client/signal-client.js'
import { generateMediaKey, rotateMediaKey } from '../../../control-plane/keys/media-key.js'
import { sealMediaKey } from '../../../control-plane/keys/seal-key.js'
import type { WelcomeMessage } from '../../../control-plane/protocol/server-messages.js'
import { FakeControlPlane } from './fake-control-plane.js'

const MEETING = 'eu-west.0123456789abcdefghjkmnpqrs'
const WS = WebSocket as unknown as WebSocketConstructor

function welcome(participantId = 'p_alice', extra: Partial<WelcomeMessage> = {}): WelcomeMessage {
  return {
    type: 'welcome', protocol: 1, participantId, displayName: 'Alice', role: 'attendee', capabilities: [],
    iceServers: [{ urls: ['turn:127.0.0.1:3478?transport=udp'], username: `1700000000:${MEETING}:${participantId}`, credential: 'c', expiresAt: 1700000000 }],
    participants: [],
    meeting: {
      id: MEETING, homeRegion: 'eu-west', residencyMode: 'region', keyMode: 'e2ee', locked: false, waitingRoom: false,
      joinBeforeHost: false, hostOnlyScreenShare: true, fileTransfer: false, recording: 'host', capacity: 100,
    },
    ...extra,
  }
}

async function setup(t: Test, opts: Partial<Parameters<typeof SignalClient.connect>[1]> = {}) {
  const cp = await FakeControlPlane.start()
  t.teardown(() => cp.stop())
  const client = SignalClient.connect(cp.url, { WebSocket: WS, token: 'tok.en.x', ...opts })
  t.teardown(() => client.close())
  const conn = await cp.connections.next()
  return { cp, client, conn }
}

async function joinedClient(t: Test, opts: Partial<Parameters<typeof SignalClient.connect>[1]> = {}) {
  const s = await setup(t, opts)
  await s.conn.messages.next()
  s.conn.send(welcome())
  await s.client.joined
  return s
}

t.test('the client negotiates sovereign.signal.v1 and joins with token, passcode and name', async (t) => {
  const { client, conn } = await setup(t, { passcode: '123456789012', displayName: 'Alice', clientInfo: { name: 'test', version: '1' } })
  t.equal(conn.protocol, 'sovereign.signal.v1')
  t.same(await conn.messages.next(), { type: 'join', token: 'tok.en.x', passcode: '123456789012', displayName: 'Alice', client: { name: 'test', version: '1' }, minor: 1 })
  conn.send(welcome())
  const result = await client.joined
  t.equal(result.kind, 'welcome')
  t.equal(client.participantId, 'p_alice')
  t.same(client.welcome?.iceServers[0]?.urls, ['turn:127.0.0.1:3478?transport=udp'])
})

t.test('a waiting participant learns why, then is admitted and welcomed', async (t) => {
  const { client, conn } = await setup(t)
  await conn.messages.next()
  conn.send({ type: 'waiting', participantId: 'p_alice', reason: 'waiting_room' })
  t.same(await client.joined, { kind: 'waiting', participantId: 'p_alice', reason: 'waiting_room' })
  const admitted = new Promise<string>((resolve) => client.once('admitted', resolve))
  const welcomed = client.waitForWelcome()
  conn.send({ type: 'admitted', participantId: 'p_alice' })
  conn.send(welcome())
  t.equal(await admitted, 'p_alice')
  t.equal((await welcomed).participantId, 'p_alice')
})

t.test('a denied join resolves with the code and the server\'s close code reaches the close event', async (t) => {
  const { client, conn } = await setup(t)
  await conn.messages.next()
  const closed = new Promise((resolve) => client.once('close', resolve))
  const welcomed = client.waitForWelcome()
  conn.send({ type: 'denied', code: 'SR_PASSCODE_WRONG', message: 'wrong passcode' })
  conn.close(4002, 'SR_PASSCODE_WRONG')
  t.same(await client.joined, { kind: 'denied', code: 'SR_PASSCODE_WRONG', message: 'wrong passcode' })
  t.same(await closed, { code: 4002, reason: 'SR_PASSCODE_WRONG' })
  await t.rejects(welcomed, { code: 'ERR_CLIENT_CLOSED' })
  t.throws(() => client.lock(), { code: 'ERR_CLIENT_CLOSED' })
})

t.test('a redirect to the home region is followed once, and the join is sent there', async (t) => {
  const home = await FakeControlPlane.start()
  t.teardown(() => home.stop())
  const { client, conn } = await setup(t)
  await conn.messages.next()
  conn.send({ type: 'redirect', url: home.url, region: 'eu-west' })
  const homeConn = await home.connections.next()
  t.same(await homeConn.messages.next(), { type: 'join', token: 'tok.en.x', minor: 1 })
  t.same(await conn.closed, { code: 1000, reason: 'redirected' }, 'the foreign node\'s socket is closed, not kept')
  homeConn.send(welcome())
  t.equal((await client.joined).kind, 'welcome')
})

t.test('a second redirect is not followed: no redirect loops', async (t) => {
  const second = await FakeControlPlane.start()
  t.teardown(() => second.stop())
  const { client, conn } = await setup(t)
  await conn.messages.next()
  conn.send({ type: 'redirect', url: second.url, region: 'eu-west' })
  const again = await second.connections.next()
  await again.messages.next()
  again.send({ type: 'redirect', url: 'ws://127.0.0.1:1/v1/signal', region: 'us-east' })
  t.same(await client.joined, { kind: 'redirect', url: 'ws://127.0.0.1:1/v1/signal', region: 'us-east' })
})

t.test('with followRedirect off, the redirect is the join result', async (t) => {
  const { client, conn } = await setup(t, { followRedirect: false })
  await conn.messages.next()
  conn.send({ type: 'redirect', url: 'ws://127.0.0.9:8080/v1/signal', region: 'eu-west' })
  t.same(await client.joined, { kind: 'redirect', url: 'ws://127.0.0.9:8080/v1/signal', region: 'eu-west' })
})

t.test('signals go out validated and come in as typed events', async (t) => {
  const { client, conn } = await joinedClient(t)
  client.offer('p_bob', 'v=0\r\n', { tracks: [{ kind: 'audio' }], dataChannels: [{ label: 'chat' }] })
  t.same(await conn.messages.next(), { type: 'signal', to: 'p_bob', kind: 'offer', payload: 'v=0\r\n', tracks: [{ kind: 'audio' }], dataChannels: [{ label: 'chat' }] })
  client.ice('all', { candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ relay', sdpMid: '0' })
  t.same(await conn.messages.next(), { type: 'signal', to: 'all', kind: 'ice', payload: '{"candidate":"candidate:1 1 udp 1 127.0.0.1 5000 typ relay","sdpMid":"0"}' })
  client.ice('all', null)
  t.same(await conn.messages.next(), { type: 'signal', to: 'all', kind: 'ice', payload: '' })
  const received = new Promise((resolve) => client.once('signal', resolve))
  conn.send({ type: 'signal', from: 'p_bob', kind: 'answer', payload: 'v=0\r\n' })
  t.same(await received, { type: 'signal', from: 'p_bob', kind: 'answer', payload: 'v=0\r\n' })
})

t.test('an invalid outgoing message throws before anything is sent', async (t) => {
  const { client, conn } = await joinedClient(t)
  t.throws(() => client.offer('p_bob', 'x'.repeat(40_000)), TypeError)
  t.throws(() => client.admit('not a participant id'), TypeError)
  client.lock()
  t.same(await conn.messages.next(), { type: 'host', command: 'lock' }, 'the next frame is the lock, not the refused ones')
})

t.test('host commands produce their protocol frames', async (t) => {
  const { client, conn } = await joinedClient(t)
  client.admit('p_w'); client.deny('p_x'); client.remove('p_y'); client.unlock(); client.end()
  client.grant('p_z', 'screenShare'); client.revoke('p_z', 'fileTransfer')
  const frames = []
  for (let i = 0; i < 7; i++) frames.push(await conn.messages.next())
  t.same(frames, [
    { type: 'host', command: 'admit', participantId: 'p_w' },
    { type: 'host', command: 'deny', participantId: 'p_x' },
    { type: 'host', command: 'remove', participantId: 'p_y' },
    { type: 'host', command: 'unlock' },
    { type: 'host', command: 'end' },
    { type: 'host', command: 'grant', participantId: 'p_z', capability: 'screenShare' },
    { type: 'host', command: 'revoke', participantId: 'p_z', capability: 'fileTransfer' },
  ])
})

t.test('a request resolves with the server\'s answer to that request', async (t) => {
  const { client, conn } = await joinedClient(t)
  const first = client.request('startScreenShare')
  const second = client.request('startRecording')
  const m1 = await conn.messages.next()
  const m2 = await conn.messages.next()
  if (m1.type !== 'request' || m2.type !== 'request') throw new Error('expected requests')
  conn.send({ type: 'request-result', re: m2.id, request: 'startRecording', allowed: false, code: 'SR_RECORDING_NOT_ALLOWED' })
  conn.send({ type: 'request-result', re: m1.id, request: 'startScreenShare', allowed: true })
  t.same(await first, { type: 'request-result', re: m1.id, request: 'startScreenShare', allowed: true })
  t.same(await second, { type: 'request-result', re: m2.id, request: 'startRecording', allowed: false, code: 'SR_RECORDING_NOT_ALLOWED' })
})

t.test('ping resolves at the matching pong', async (t) => {
  const { client, conn } = await joinedClient(t)
  const pong = client.ping()
  const ping = await conn.messages.next()
  if (ping.type !== 'ping') throw new Error('expected ping')
  conn.send({ type: 'pong', nonce: ping.nonce })
  await pong
  t.pass('pong arrived')
})

t.test('meeting events and capability changes reach their listeners', async (t) => {
  const { client, conn } = await joinedClient(t)
  const seen: unknown[] = []
  client.on('participant-joined', (p) => seen.push(['joined', p.participantId]))
  client.on('participant-waiting', (p, reason) => seen.push(['waiting', p.participantId, reason]))
  client.on('participant-removed', (id, by) => seen.push(['removed', id, by]))
  client.on('meeting-locked', (by) => seen.push(['locked', by]))
  client.on('capability-changed', (id, caps) => seen.push(['caps', id, caps]))
  const ended = new Promise((resolve) => client.once('meeting-ended', resolve))
  conn.send({ type: 'participant-joined', participant: { participantId: 'p_bob', displayName: 'Bob', role: 'attendee', capabilities: [] } })
  conn.send({ type: 'participant-waiting', participant: { participantId: 'p_eve', displayName: 'Eve', role: 'attendee', capabilities: [] }, reason: 'waiting_room' })
  conn.send({ type: 'participant-removed', participantId: 'p_bob', by: 'p_host' })
  conn.send({ type: 'meeting-locked', by: 'p_host' })
  conn.send({ type: 'capability-changed', participantId: 'p_alice', capabilities: ['screenShare'], by: 'p_host' })
  conn.send({ type: 'meeting-ended', by: 'p_host' })
  t.equal(await ended, 'p_host')
  t.same(seen, [['joined', 'p_bob'], ['waiting', 'p_eve', 'waiting_room'], ['removed', 'p_bob', 'p_host'], ['locked', 'p_host'], ['caps', 'p_alice', ['screenShare']]])
  t.same(client.capabilities, ['screenShare'], 'our own capabilities follow the change')
})

t.test('managed keys: the sealed key in welcome and each rotation open to the same bytes the server sealed', async (t) => {
  const keyPair = await generateParticipantKeyPair()
  const { client, conn } = await setup(t, { keyPair })
  const join = await conn.messages.next()
  t.equal(join.type === 'join' ? join.publicKey : undefined, keyPair.publicKey, 'join carries the public key')
  const v1 = generateMediaKey(MEETING)
  const sealed1 = await sealMediaKey(v1, { participantId: 'p_alice', publicKey: keyPair.publicKey })
  const base = welcome()
  const firstKey = new Promise<{ version: number; key: Uint8Array }>((resolve) => client.once('media-key', resolve))
  conn.send({ ...base, meeting: { ...base.meeting, keyMode: 'managed' }, key: { version: 1, sealed: sealed1 } })
  const k1 = await firstKey
  t.equal(k1.version, 1)
  t.same(Buffer.from(k1.key), Buffer.from(v1.key))

  const v2 = rotateMediaKey(v1)
  const secondKey = new Promise<{ version: number; key: Uint8Array }>((resolve) => client.once('media-key', resolve))
  conn.send({ type: 'key-rotated', version: 2, reason: 'participant-removed' })
  conn.send({ type: 'key-delivery', version: 2, sealed: await sealMediaKey(v2, { participantId: 'p_alice', publicKey: keyPair.publicKey }) })
  const k2 = await secondKey
  t.same([k2.version, Buffer.from(k2.key)], [2, Buffer.from(v2.key)])
  t.equal(client.mediaKey?.version, 2)
})

t.test('a key sealed to someone else surfaces as a key error, not as a key', async (t) => {
  const keyPair = await generateParticipantKeyPair()
  const other = await generateParticipantKeyPair()
  const { client, conn } = await joinedClient(t, { keyPair })
  const keyError = new Promise<Error>((resolve) => client.once('key-error', resolve))
  const wrong = await sealMediaKey(generateMediaKey(MEETING, 2), { participantId: 'p_alice', publicKey: other.publicKey })
  conn.send({ type: 'key-delivery', version: 2, sealed: wrong })
  t.match((await keyError).message, /does not open/)
  t.equal(client.mediaKey, undefined)
})

t.test('an invalid server frame is a protocol error and the client closes with 4000', async (t) => {
  const { client, conn } = await joinedClient(t)
  const problem = new Promise((resolve) => client.once('protocol-error', resolve))
  conn.sendRaw(JSON.stringify({ type: 'welcome', participantId: 42 }))
  t.same(await problem, { code: 'SR_PROTOCOL_VIOLATION', detail: 'welcome: / Expected union value' })
  t.same((await conn.closed).code, 4000)
})

t.test('a server that does not speak the subprotocol is refused', async (t) => {
  const cp = await FakeControlPlane.start({ protocol: false })
  t.teardown(() => cp.stop())
  const client = SignalClient.connect(cp.url, { WebSocket: WS, token: 't' })
  const result = await client.joined
  t.equal(result.kind, 'closed')
})

t.test('close is idempotent, emits close once, and methods throw afterwards', async (t) => {
  const { client } = await joinedClient(t)
  let closes = 0
  client.on('close', () => { closes += 1 })
  await Promise.all([client.close(), client.close()])
  await client.close()
  t.equal(closes, 1)
  t.equal(client.closed, true)
  t.throws(() => client.offer('p_bob', 'v=0'), { code: 'ERR_CLIENT_CLOSED' })
  await t.rejects(client.waitForWelcome(), { code: 'ERR_CLIENT_CLOSED' })
})

t.test('leave says goodbye before closing', async (t) => {
  const { client, conn } = await joinedClient(t)
  await client.leave()
  t.same(await conn.messages.next(), { type: 'leave' })
  t.equal((await conn.closed).code, 1000)
})

// ---- v1.1: fresh ICE servers ---------------------------------------------------------------

t.test('asking for fresh ICE servers resolves with the answering ice-restart, which is also an event and the servers in force', async (t) => {
  const { client, conn } = await joinedClient(t)
  const event = new Promise((resolve) => client.once('ice-restart', resolve))
  const answer = client.requestIceServers()
  const request = await conn.messages.next()
  if (request.type !== 'ice-servers-request' || request.id === undefined) throw new Error('expected an ice-servers-request with an id')
  const restart = { type: 'ice-restart' as const, re: request.id, reason: 'requested' as const, iceServers: [{ urls: ['turn:127.0.0.2:3478?transport=udp'], username: 'u', credential: 'c' }] }
  conn.send(restart)
  t.same(await answer, restart)
  t.same(await event, restart)
  t.same(client.iceServers, restart.iceServers)
})

t.test('an ICE servers request refused for want of a live relay rejects with SR_NO_RELAY_AVAILABLE', async (t) => {
  const { client, conn } = await joinedClient(t)
  const answer = client.requestIceServers()
  const request = await conn.messages.next()
  if (request.type !== 'ice-servers-request') throw new Error('expected an ice-servers-request')
  conn.send({ type: 'error', re: request.id, code: 'SR_NO_RELAY_AVAILABLE', message: "no relay of the meeting's allowed regions is live" })
  await t.rejects(answer, { code: 'SR_NO_RELAY_AVAILABLE' })
  t.equal(client.closed, false, 'the session continues')
})

t.test('an unprompted ice-restart (a relay was lost) replaces the ICE servers in force', async (t) => {
  const { client, conn } = await joinedClient(t)
  const event = new Promise((resolve) => client.once('ice-restart', resolve))
  const servers = [{ urls: ['turn:127.0.0.3:3478?transport=udp'] }]
  conn.send({ type: 'ice-restart', reason: 'relay-lost', relayId: 'eu-relay-1', iceServers: servers })
  t.same(await event, { type: 'ice-restart', reason: 'relay-lost', relayId: 'eu-relay-1', iceServers: servers })
  t.same(client.iceServers, servers)
})

// ---- reconnect ------------------------------------------------------------------------------

const fast = { reconnect: { initialDelayMs: 5, maxDelayMs: 20 } }

t.test('after the server drops the socket the client reconnects, joins again and resumes with the new welcome', async (t) => {
  const { cp, client, conn } = await joinedClient(t, fast)
  const reconnecting = new Promise<ReconnectingEvent>((resolve) => client.once('reconnecting', resolve))
  const reconnected = new Promise<WelcomeMessage>((resolve) => client.once('reconnected', resolve))
  const ping = client.ping()
  await conn.messages.next() // the ping, whose pong will never come
  conn.socket.terminate()
  const event = await reconnecting
  t.equal(event.attempt, 1)
  t.equal(event.code, 1006, 'an abnormal close is retried')
  t.ok(event.delayMs >= 2 && event.delayMs <= 5, `first delay within [initial/2, initial]: ${event.delayMs}`)
  await t.rejects(ping, { code: 'ERR_CONNECTION_LOST' }, 'a request in flight is not left hanging')
  t.throws(() => client.lock(), { code: 'ERR_CLIENT_RECONNECTING' }, 'sends fail loudly between sockets')
  const again = await cp.connections.next()
  t.same(await again.messages.next(), { type: 'join', token: 'tok.en.x', minor: 1 }, 'the same join again: same identity, same seat')
  const fresh = welcome('p_alice', { iceServers: [{ urls: ['turn:127.0.0.2:3478?transport=udp'] }] })
  again.send(fresh)
  t.same(await reconnected, fresh)
  t.equal(client.reconnecting, false)
  t.same(client.iceServers, fresh.iceServers, 'the fresh ICE servers are in force')
  client.lock()
  t.same(await again.messages.next(), { type: 'host', command: 'lock' }, 'and the session carries on over the new socket')
})

t.test('the client keeps trying with growing delays while the node is down, and resumes when it is back', async (t) => {
  const { cp, client, conn } = await joinedClient(t, { reconnect: { initialDelayMs: 4, maxDelayMs: 16, random: () => 1 } })
  const delays: number[] = []
  client.on('reconnecting', (e) => delays.push(e.delayMs))
  // Refuse the first two attempts by closing them as a restarting server does (1012), then welcome the third.
  conn.close(1012, 'restart')
  for (let i = 0; i < 2; i++) {
    const c = await cp.connections.next()
    await c.messages.next()
    c.close(1013, 'try again later')
  }
  const third = await cp.connections.next()
  await third.messages.next()
  const reconnected = new Promise((resolve) => client.once('reconnected', resolve))
  third.send(welcome())
  await reconnected
  t.same(delays, [4, 8, 16], 'exponential, capped at maxDelayMs')
})

for (const [code, what] of [[4009, 'removed'], [4010, 'meeting ended'], [4013, 'removed, cannot rejoin'], [4020, 'replaced by a newer socket'], [4000, 'protocol violation'], [4008, 'rate limited'], [1000, 'normal']] as const) {
  t.test(`a close with ${code} (${what}) is final: no reconnect`, async (t) => {
    const { client, conn } = await joinedClient(t, fast)
    let reconnects = 0
    client.on('reconnecting', () => { reconnects += 1 })
    const closed = new Promise<{ code: number }>((resolve) => client.once('close', resolve))
    conn.close(code, what)
    t.equal((await closed).code, code)
    t.equal(client.closed, true)
    t.equal(reconnects, 0)
  })
}

t.test('a socket dropped before any welcome is not retried: there is no seat to resume', async (t) => {
  const { client, conn } = await setup(t, fast)
  await conn.messages.next()
  conn.socket.terminate()
  t.same(await client.joined, { kind: 'closed', code: 1006, reason: '' })
  t.equal(client.closed, true)
})

t.test('a reconnect goes to the home region that welcomed the client, not to the node that redirected it', async (t) => {
  const home = await FakeControlPlane.start()
  t.teardown(() => home.stop())
  const { cp: foreign, client, conn } = await setup(t, fast)
  await conn.messages.next()
  conn.send({ type: 'redirect', url: home.url, region: 'eu-west' })
  const homeConn = await home.connections.next()
  await homeConn.messages.next()
  homeConn.send(welcome())
  await client.joined
  let foreignConnections = 0
  void foreign.connections.next().then(() => { foreignConnections += 1 })
  homeConn.socket.terminate()
  const back = await home.connections.next()
  t.same(await back.messages.next(), { type: 'join', token: 'tok.en.x', minor: 1 })
  const reconnected = new Promise((resolve) => client.once('reconnected', resolve))
  back.send(welcome())
  await reconnected
  t.equal(foreignConnections, 0, 'the foreign region heard nothing of the reconnect')
})

t.test('a reconnect that lands on a foreign node follows its redirect home again', async (t) => {
  const home = await FakeControlPlane.start()
  t.teardown(() => home.stop())
  const { cp, client, conn } = await joinedClient(t, fast)
  conn.socket.terminate()
  const lost = await cp.connections.next()
  await lost.messages.next()
  lost.send({ type: 'redirect', url: home.url, region: 'eu-west' })
  const homeConn = await home.connections.next()
  await homeConn.messages.next()
  const reconnected = new Promise((resolve) => client.once('reconnected', resolve))
  homeConn.send(welcome())
  await reconnected
  t.pass('resumed at the home region')
})

t.test('a fresh token is fetched before each reconnect attempt', async (t) => {
  let n = 0
  const { cp, client, conn } = await joinedClient(t, { ...fast, refreshToken: async () => `tok.en.${++n}` })
  conn.socket.terminate()
  const again = await cp.connections.next()
  t.same(await again.messages.next(), { type: 'join', token: 'tok.en.1', minor: 1 })
  again.send(welcome())
  await new Promise((resolve) => client.once('reconnected', resolve))
})

t.test('close during the backoff ends the client at once and cancels the attempt', async (t) => {
  const { client, conn } = await joinedClient(t, { reconnect: { initialDelayMs: 60_000 } })
  const reconnecting = new Promise((resolve) => client.once('reconnecting', resolve))
  conn.socket.terminate()
  await reconnecting
  const closed = new Promise<{ code: number }>((resolve) => client.once('close', resolve))
  await client.close()
  t.equal((await closed).code, 1000)
  t.equal(client.reconnecting, false)
})

t.test('with reconnect off, a dropped socket ends the client', async (t) => {
  const { client, conn } = await joinedClient(t, { reconnect: false })
  const closed = new Promise<{ code: number }>((resolve) => client.once('close', resolve))
  conn.socket.terminate()
  t.equal((await closed).code, 1006)
})

t.test('after maxAttempts failed attempts in a row the client gives up and closes with the last code', async (t) => {
  const { cp, client, conn } = await joinedClient(t, { reconnect: { initialDelayMs: 2, maxAttempts: 1 } })
  let attempts = 0
  client.on('reconnecting', () => { attempts += 1 })
  const closed = new Promise<{ code: number }>((resolve) => client.once('close', resolve))
  conn.socket.terminate()
  const again = await cp.connections.next()
  await again.messages.next()
  again.close(1013, 'try again later')
  t.equal((await closed).code, 1013)
  t.equal(attempts, 1)
  t.equal(client.closed, true)
})

t.test('without an injected WebSocket the client speaks through the runtime\'s own (Node 22+, browsers)', async (t) => {
  t.type(globalThis.WebSocket, 'function', `this Node (${process.version}) has a WebSocket client of its own`)
  const { client, conn } = await setup(t, { WebSocket: undefined })
  t.match(await conn.messages.next(), { type: 'join', token: 'tok.en.x' }, 'the join arrives over the platform socket')
  t.equal(conn.protocol, 'sovereign.signal.v1', 'with the subprotocol negotiated')
  conn.send(welcome())
  t.equal((await client.joined).kind, 'welcome')
})

t.test('a runtime with no WebSocket and none injected is told so with a code, before anything is opened', async (t) => {
  const own = globalThis.WebSocket
  t.teardown(() => { globalThis.WebSocket = own })
  ;(globalThis as { WebSocket?: unknown }).WebSocket = undefined
  t.throws(() => SignalClient.connect('ws://127.0.0.1:1/v1/signal', { token: 'tok.en.x' }), { code: 'ERR_NO_WEBSOCKET' })
})

t.test('a send before the socket is open is refused with a code, not put on the wire', async (t) => {
  const cp = await FakeControlPlane.start()
  t.teardown(() => cp.stop())
  const client = SignalClient.connect(cp.url, { WebSocket: WS, token: 'tok.en.x', reconnect: false })
  t.teardown(() => client.close())
  t.throws(() => client.lock(), { code: 'ERR_CLIENT_NOT_OPEN' })
})
