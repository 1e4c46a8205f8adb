/**
 * A whole meeting over real sockets: two control-plane nodes of eu-central sharing the
 * region's Redis, and a us-east node. Join redirected to the home region, waiting room,
 * admission by a host on the other node, signaling across nodes, capability rules,
 * removal with revocation, lock, end.
 */
import t from 'tap'

import { SignalClient } from '../../../control-plane/client/signal-client.js'
import { CLOSE_CODES } from '../../../control-plane/protocol/error-codes.js'
import { participantIdFor } from '../../../control-plane/services/participant-id.js'
import { dropPrefix, network } from '../app/fixture.js'
import { next, socketFrom, startNode, type Node } from './support.js'

const net = network()
const acme = net.config.tenantById('acme')!
const DE = socketFrom('127.1.0.7')
const FR = socketFrom('127.4.0.9')
const CN = socketFrom('127.5.0.3')

let eu1: Node
let eu2: Node
let us: Node
const clients: SignalClient[] = []

t.before(async () => {
  eu1 = await startNode(net, 'eu-central', 'eu-cp-1')
  eu2 = await startNode(net, 'eu-central', 'eu-cp-2')
  us = await startNode(net, 'us-east', 'us-cp-1')
  // A live relay in eu-central's fleet, so welcome carries ICE servers.
  await eu1.state.fleet.heartbeat({
    id: 'eu-relay-1', region: 'eu-central', udp: ['127.0.0.1:3478'], tcp: [], capacity: 100, version: 'test', startedAt: Date.now(),
    load: { allocations: 0, packetsPerSecond: 0, bytesPerSecond: 0, cpu: 0 }, draining: false, sentAt: Date.now(),
  }, 60_000)
})

t.teardown(async () => {
  await Promise.all(clients.map((c) => c.close()))
  await dropPrefix(eu1.state, net.prefix)
  await Promise.all([eu1.close(), eu2.close(), us.close()])
})

function connect(node: Node, token: string, WebSocket = DE, passcode?: string): SignalClient {
  const client = SignalClient.connect(node.url, { WebSocket, token, ...(passcode === undefined ? {} : { passcode }) })
  clients.push(client)
  return client
}

async function mint(meetingId: string, identity: string, role: 'host' | 'co-host' | 'attendee' = 'attendee'): Promise<string> {
  return (await eu1.app.sovereign.meetings.mintToken(meetingId, acme, { identity, role, displayName: identity })).token
}

t.test('a meeting from redirect to end across two nodes of its home region', async (t) => {
  const meeting = await eu1.app.sovereign.meetings.create(acme, { waitingRoom: true, passcode: '123456789012', hostOnlyScreenShare: true, fileTransfer: false })
  const hostToken = await mint(meeting.id, 'hana', 'host')

  // The host knocks at us-east: told to go to eu-central's signaling URL (the config's), nothing stored in us-east.
  const lost = SignalClient.connect(us.url, { WebSocket: DE, token: hostToken, followRedirect: false })
  clients.push(lost)
  const lostClosed = next(lost, 'close')
  const redirected = await lost.joined
  t.same(redirected, { kind: 'redirect', url: 'ws://127.0.0.1:18080/v1/signal', region: 'eu-central' }, 'redirected to the home region')
  t.equal((await lostClosed)[0].code, CLOSE_CODES.redirect, 'then closed with 4011')
  t.same(await us.state.meetings.listParticipants(meeting.id).catch(() => []), [], 'us-east stored nothing of it')

  const host = connect(eu1, hostToken, DE, meeting.passcode)
  const joined = await host.joined
  t.equal(joined.kind, 'welcome', 'the host is welcomed at the home region')
  if (joined.kind !== 'welcome') return
  t.equal(joined.welcome.role, 'host')
  t.ok(joined.welcome.iceServers.length >= 1, 'the welcome carries ICE servers')
  t.match(joined.welcome.iceServers[0]!.urls[0], /^turn:127\.0\.0\.1:3478/, 'from the region fleet')
  t.match(joined.welcome.iceServers[0]!.username, new RegExp(`:${meeting.id.replace('.', '\\.')}:`), 'with meeting-scoped credentials')
  t.same(joined.welcome.capabilities, ['screenShare', 'recording'], 'host defaults')

  // An attendee on the other node waits in the waiting room; the host sees them and admits.
  const ada = connect(eu2, await mint(meeting.id, 'ada'), FR, meeting.passcode)
  const waitingSeen = next(host, 'participant-waiting')
  const adaJoined = await ada.joined
  t.equal(adaJoined.kind, 'waiting', 'the attendee waits')
  const [summary, reason] = await waitingSeen
  t.equal(reason, 'waiting_room')
  const adaId = participantIdFor(meeting.id, 'ada')
  t.equal(summary.participantId, adaId, 'the host (on the other node) sees who waits')
  const joinedSeen = next(host, 'participant-joined')
  host.admit(adaId)
  const adaWelcome = await ada.waitForWelcome()
  t.equal(adaWelcome.participantId, adaId, 'admitted by the host, the attendee gets its welcome')
  t.ok(adaWelcome.iceServers.length >= 1)
  t.equal((await joinedSeen)[0].participantId, adaId, 'the host learns the attendee joined')
  const endpoints = await eu1.state.meetings.listParticipants(meeting.id)
  t.same(endpoints.find((p) => p.id === adaId)?.addresses, ['127.4.0.9'], 'the observed address is recorded')

  // Signaling across the two nodes, both ways.
  const offer = next(ada, 'signal')
  host.offer(adaId, 'v=0\r\n', { tracks: [{ kind: 'audio' }] })
  const [got] = await offer
  t.equal(got.from, joined.welcome.participantId, 'the offer arrives from the host')
  t.equal(got.kind, 'offer')
  const answer = next(host, 'signal')
  ada.answer(joined.welcome.participantId, 'v=0\r\n')
  t.equal((await answer)[0].kind, 'answer', 'the answer travels back')

  // Capabilities: the attendee may not share a screen or open file transfer; a grant lets the screen share through.
  const refused = next(ada, 'error')
  ada.offer(joined.welcome.participantId, 'v=0\r\n', { tracks: [{ kind: 'screen' }] })
  t.equal((await refused)[0].code, 'SR_SCREEN_SHARE_NOT_ALLOWED')
  const fileRefused = next(ada, 'error')
  ada.offer(joined.welcome.participantId, 'v=0\r\n', { dataChannels: [{ label: 'file:report.pdf' }] })
  t.equal((await fileRefused)[0].code, 'SR_FILE_TRANSFER_NOT_ALLOWED')
  const recording = await ada.request('startRecording')
  t.equal(recording.allowed, false, 'recording is for hosts')
  t.equal(recording.code, 'SR_RECORDING_NOT_ALLOWED')
  const changed = next(ada, 'capability-changed')
  host.grant(adaId, 'screenShare')
  t.same((await changed)[1], ['screenShare'], 'a grant reaches the attendee on the other node')
  const screen = next(host, 'signal')
  ada.offer(joined.welcome.participantId, 'v=0\r\n', { tracks: [{ kind: 'screen' }] })
  t.equal((await screen)[0].tracks?.[0]?.kind, 'screen', 'after the grant the screen share is forwarded')

  // Attendees cannot use host controls.
  const notHost = next(ada, 'error')
  ada.lock()
  t.equal((await notHost)[0].code, 'SR_NOT_HOST')

  // Lock: a new attendee is refused; the host is told.
  const locked = next(host, 'meeting-locked')
  host.lock()
  await locked
  const late = connect(eu1, await mint(meeting.id, 'lee'), DE, meeting.passcode)
  const lateResult = await late.joined
  t.same(lateResult.kind === 'denied' && lateResult.code, 'SR_MEETING_LOCKED', 'a locked meeting refuses')
  const unlocked = next(host, 'meeting-unlocked')
  host.unlock()
  await unlocked

  // Removal: closes the attendee's socket with 4009, revokes, bans.
  const adaClosed = next(ada, 'close')
  const removedSeen = next(host, 'participant-removed')
  host.remove(adaId)
  t.equal((await adaClosed)[0].code, CLOSE_CODES.removed, 'the removed socket closes with 4009')
  t.equal((await removedSeen)[0], adaId)
  t.ok(await eu1.state.revocations.isRevoked(meeting.id, adaId), 'revoked in the region state')
  const again = connect(eu2, await mint(meeting.id, 'ada'), FR, meeting.passcode)
  const againResult = await again.joined
  t.same(againResult.kind === 'denied' && againResult.code, 'SR_REMOVED_CANNOT_REJOIN', 'the removed identity cannot come back')

  const metrics = await eu1.app.sovereign.registry.metrics()
  t.match(metrics, /sovereign_cp_signal_messages_total\{kind="signal:offer"\} [1-9]/, 'signaling messages are counted by kind')
  t.match(metrics, /sovereign_cp_signal_joins_total\{outcome="admitted"\} [1-9]/, 'joins are counted by outcome')
  t.match(metrics, /sovereign_cp_signal_join_duration_seconds_count [1-9]/, 'join latency is observed')

  // End: every socket closes with 4010.
  const hostClosed = next(host, 'close')
  host.end()
  t.equal((await hostClosed)[0].code, CLOSE_CODES.meetingEnded)
  const audit = await eu1.state.audit.read(meeting.id)
  t.ok(audit.some((e) => e.kind === 'admission' && e.allow && e.detail?.includes('admitted by host')), 'the host admission is audited')
  t.ok(audit.some((e) => e.kind === 'removal'), 'the removal is audited')
})

t.test('admission refusals have distinct codes and close codes', async (t) => {
  const meeting = await eu1.app.sovereign.meetings.create(acme, { passcode: '555555555555', waitingRoom: false, joinBeforeHost: false, capacity: 2, attendeePolicy: { mode: 'block', countries: ['CN'], unknown: 'deny' } })
  const deny = async (name: string, client: SignalClient, code: string, close: number) => {
    const closed = next(client, 'close')
    const result = await client.joined
    t.same(result.kind === 'denied' ? result.code : result, code, name)
    t.equal((await closed)[0].code, close, `${name}: close ${close}`)
  }
  await deny('a token with no claims', connect(eu1, 'e30.e30.e30', DE), 'SR_TOKEN_CLAIMS_INVALID', 4001)
  const otherSecret = (await eu1.app.sovereign.meetings.mintToken(meeting.id, { ...acme, tokenSecret: 'x'.repeat(40) }, { identity: 'mallory', role: 'host' })).token
  await deny('a token signed with another secret', connect(eu1, otherSecret, DE, meeting.passcode), 'SR_TOKEN_BAD_SIGNATURE', 4001)
  await deny('no passcode', connect(eu1, await mint(meeting.id, 'p1'), DE), 'SR_PASSCODE_REQUIRED', 4002)
  await deny('a wrong passcode', connect(eu2, await mint(meeting.id, 'p2'), DE, '000000000000'), 'SR_PASSCODE_WRONG', 4002)
  await deny('a forbidden country', connect(eu1, await mint(meeting.id, 'p3'), CN, meeting.passcode), 'SR_COUNTRY_FORBIDDEN', 4003)

  // No host yet and no join-before-host: wait.
  const early = connect(eu1, await mint(meeting.id, 'p4'), DE, meeting.passcode)
  const earlyResult = await early.joined
  t.same(earlyResult.kind === 'waiting' && earlyResult.reason, 'host_not_present', 'without a host, attendees wait')

  const host = connect(eu2, await mint(meeting.id, 'boss', 'host'), DE)
  t.equal((await host.joined).kind, 'welcome', 'hosts bypass the passcode')
  const coHost = connect(eu1, await mint(meeting.id, 'co', 'co-host'), DE)
  t.equal((await coHost.joined).kind, 'welcome')
  await deny('capacity', connect(eu1, await mint(meeting.id, 'p5', 'co-host'), DE), 'SR_MEETING_FULL', 4006)

  const audit = await eu1.state.audit.read(meeting.id)
  t.ok(audit.filter((e) => e.kind === 'admission' && !e.allow).length >= 4, 'refusals are audited')

  await deny('a token that is not a JWT', connect(eu1, 'x', DE), 'SR_TOKEN_MALFORMED', 4001)
  const metrics = await eu1.app.sovereign.registry.metrics()
  t.match(metrics, /sovereign_cp_signal_admission_refusals_total\{code="SR_PASSCODE_REQUIRED"\} 1/, 'refusals are counted by code')
})

t.test('a socket without the subprotocol is closed with 4014', async (t) => {
  const { default: WebSocket } = await import('ws')
  const ws = new WebSocket(eu1.url)
  const code = await new Promise<number>((resolve) => ws.on('close', (c) => resolve(c)))
  t.equal(code, CLOSE_CODES.unsupportedProtocol)
})

t.test("a host's grant outlives the attendee's socket: reconnecting on another node it keeps the right, and others see it", async (t) => {
  const meeting = await eu1.app.sovereign.meetings.create(acme, { waitingRoom: false, passcodeRequired: false, hostOnlyScreenShare: true })
  const host = connect(eu1, await mint(meeting.id, 'hilde', 'host'))
  t.equal((await host.joined).kind, 'welcome')
  const first = connect(eu2, await mint(meeting.id, 'gus'))
  const firstWelcome = await first.joined
  if (firstWelcome.kind !== 'welcome') return t.fail(`gus not admitted: ${firstWelcome.kind}`)
  const gusId = firstWelcome.welcome.participantId
  t.notOk(firstWelcome.welcome.capabilities.includes('screenShare'), 'no screen share by default')
  const granted = next(first, 'capability-changed')
  host.grant(gusId, 'screenShare')
  t.same((await granted)[1], ['screenShare'])

  const left = next(host, 'participant-left', (id) => id === gusId)
  await first.close()
  await left
  t.same((await eu1.state.meetings.getParticipant(meeting.id, gusId))?.grants, { screenShare: true }, 'stored with the participant')

  const back = next(host, 'participant-joined', (p) => p.participantId === gusId)
  const again = connect(eu2, await mint(meeting.id, 'gus'))
  const againWelcome = await again.joined
  if (againWelcome.kind !== 'welcome') return t.fail(`gus not admitted again: ${againWelcome.kind}`)
  t.ok(againWelcome.welcome.capabilities.includes('screenShare'), 'the reconnected socket has the granted right')
  t.ok((await back)[0].capabilities.includes('screenShare'), 'the host (on the other node) sees it in the summary')
  const screen = next(host, 'signal')
  const hostId = participantIdFor(meeting.id, 'hilde')
  again.offer(hostId, 'v=0\r\n', { tracks: [{ kind: 'screen' }] })
  t.equal((await screen)[0].tracks?.[0]?.kind, 'screen', 'and its screen share is forwarded')

  const revoked = next(again, 'capability-changed')
  host.revoke(gusId, 'screenShare')
  t.same((await revoked)[1], [], 'a revoke reaches it')
  const refused = next(again, 'error')
  again.offer(hostId, 'v=0\r\n', { tracks: [{ kind: 'screen' }] })
  t.equal((await refused)[0].code, 'SR_SCREEN_SHARE_NOT_ALLOWED')
})
