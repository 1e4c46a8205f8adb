/**
 * Issue 9, item 3: one session per participant. The same participant (meeting and token
 * identity) on a second socket, on another node of the region, replaces the first: the
 * first is closed with 4020 SR_SESSION_REPLACED, the others see neither a leave nor a
 * second arrival, and from then on only the newer socket speaks for the participant.
 * Real sockets, real Redis, two nodes of eu-central.
 */
import t from 'tap'
import WebSocket from 'ws'

import { SignalClient } from '../../../control-plane/client/signal-client.js'
import { CLOSE_CODES } from '../../../control-plane/protocol/error-codes.js'
import { SUBPROTOCOL } from '../../../control-plane/protocol/version.js'
import { participantIdFor } from '../../../control-plane/services/participant-id.js'
import { dropPrefix, network } from '../app/fixture.js'
import { bounded, next, socketFrom, startNode, type Node } from './support.js'

const net = network()
const acme = net.config.tenantById('acme')!
const DE = socketFrom('127.1.0.41')
let eu1: Node
let eu2: Node
const clients: SignalClient[] = []

t.before(async () => {
  eu1 = await startNode(net, 'eu-central', 'eu-cp-1')
  eu2 = await startNode(net, 'eu-central', 'eu-cp-2')
})
t.teardown(async () => {
  await Promise.all(clients.map((c) => c.close()))
  await dropPrefix(eu1.state, net.prefix)
  await Promise.all([eu1.close(), eu2.close()])
})

function connect(node: Node, token: string): SignalClient {
  const c = SignalClient.connect(node.url, { WebSocket: DE, token })
  clients.push(c)
  return c
}

t.test('a second socket of the same participant replaces the first (4020); only the newer one signals, and only its close leaves', async (t) => {
  const meeting = await eu1.app.sovereign.meetings.create(acme, { passcodeRequired: false, waitingRoom: false })
  const mint = async (identity: string, role: 'host' | 'attendee') => (await eu1.app.sovereign.meetings.mintToken(meeting.id, acme, { identity, role })).token
  const ann = participantIdFor(meeting.id, 'ann')
  const host = connect(eu1, await mint('hana', 'host'))
  t.equal((await bounded(host.joined, 'host joined')).kind, 'welcome')
  const joined: string[] = []
  const left: string[] = []
  host.on('participant-joined', (p) => joined.push(p.participantId))
  host.on('participant-left', (id) => left.push(id))

  const annToken = await mint('ann', 'attendee')
  const seen = next(host, 'participant-joined', (p) => p.participantId === ann, 5_000)
  const first = connect(eu1, annToken)
  t.equal((await bounded(first.joined, 'first socket joined')).kind, 'welcome')
  await seen
  const firstClosed = next(first, 'close', () => true, 5_000)
  const firstError = next(first, 'error', (e) => e.code === 'SR_SESSION_REPLACED', 5_000)

  // The same token on the other node.
  const second = connect(eu2, annToken)
  const welcome = await bounded(second.joined, 'second socket joined')
  t.equal(welcome.kind, 'welcome', 'the newer socket is welcomed')
  t.equal((await firstClosed)[0].code, CLOSE_CODES.sessionReplaced, 'the older socket is closed with 4020')
  t.equal((await firstError)[0].code, 'SR_SESSION_REPLACED', 'after an error naming why')

  // The newer socket signals; the host hears it, and nothing else happened to ann meanwhile.
  const signal = next(host, 'signal', (s) => s.from === ann, 5_000)
  second.ice(participantIdFor(meeting.id, 'hana'), { candidate: 'candidate:1 1 udp 1 127.1.0.41 5000 typ host', sdpMid: '0' })
  t.equal((await signal)[0].from, ann, "the newer socket's signal reaches the host")
  await host.ping()
  t.same(joined, [ann], 'the host saw ann arrive once')
  t.same(left, [], 'and never leave')
  t.equal((await eu1.state.meetings.getParticipant(meeting.id, ann))?.status, 'admitted', 'ann is still admitted in the store')

  // Only the holder's close makes ann leave.
  const gone = next(host, 'participant-left', (id) => id === ann, 5_000)
  await second.close()
  await gone
  t.equal((await eu1.state.meetings.getParticipant(meeting.id, ann))?.status, 'left', 'closing the newer socket leaves')
})

t.test('the older socket closing on its own after being replaced does not make the participant leave', async (t) => {
  const meeting = await eu1.app.sovereign.meetings.create(acme, { passcodeRequired: false, waitingRoom: false })
  const token = (await eu1.app.sovereign.meetings.mintToken(meeting.id, acme, { identity: 'bo', role: 'host' })).token
  const bo = participantIdFor(meeting.id, 'bo')
  const first = connect(eu1, token)
  t.equal((await bounded(first.joined, 'first joined')).kind, 'welcome')
  const second = connect(eu2, token)
  t.equal((await bounded(second.joined, 'second joined')).kind, 'welcome')
  // Whether the replacement or the client's own close reaches eu1 first, the leave names the old session and changes nothing.
  await first.close()
  await eu1.app.sovereign.meetings.leave(meeting.id, bo, 'a-session-that-never-held-it')
  t.equal((await eu1.state.meetings.getParticipant(meeting.id, bo))?.status, 'admitted', 'bo stays admitted on the newer socket')
  await second.close()
})

t.test('a socket that closes while its join is being stored leaves no seat behind', async (t) => {
  const meeting = await eu1.app.sovereign.meetings.create(acme, { passcodeRequired: false, waitingRoom: false })
  const ids: string[] = []
  for (let i = 0; i < 5; i++) {
    const identity = `hasty-${i}`
    ids.push(participantIdFor(meeting.id, identity))
    const token = (await eu1.app.sovereign.meetings.mintToken(meeting.id, acme, { identity, role: 'host' })).token
    const ws = new WebSocket(eu1.url, SUBPROTOCOL, { localAddress: '127.1.0.42' })
    await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject) })
    // The close reaches the node while the join is still at Redis (before it is admitted there).
    ws.send(JSON.stringify({ type: 'join', token }))
    ws.terminate()
  }
  // Well within the presence lease (15 s by default), which would otherwise be what clears them.
  const deadline = Date.now() + 3_000
  let statuses: Array<string | undefined> = []
  do {
    statuses = await Promise.all(ids.map(async (id) => (await eu1.state.meetings.getParticipant(meeting.id, id))?.status))
    if (statuses.every((s) => s === undefined || s === 'left')) break
    await new Promise((r) => setTimeout(r, 50))
  } while (Date.now() < deadline)
  t.ok(statuses.every((s) => s === undefined || s === 'left'), `nobody stays admitted for a closed socket (${statuses.join(', ')})`)
})
