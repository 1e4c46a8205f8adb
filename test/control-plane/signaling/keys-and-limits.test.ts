/**
 * Managed key mode over real sockets (two nodes of eu-central): the welcome carries the
 * media key sealed to the participant's public key; when someone leaves or is removed
 * the key rotates and every remaining participant gets the new version, the one who
 * left does not. e2ee key messages are forwarded opaquely. Protocol limits: frame size,
 * rate limit, messages before join, the denied-by-host path.
 */
import t from 'tap'
import WebSocket from 'ws'

import { generateParticipantKeyPair } from '../../../control-plane/client/open-key.js'
import { SignalClient } from '../../../control-plane/client/signal-client.js'
import { CLOSE_CODES } from '../../../control-plane/protocol/error-codes.js'
import { SUBPROTOCOL } from '../../../control-plane/protocol/version.js'
import { participantIdFor } from '../../../control-plane/services/participant-id.js'
import { dropPrefix, network } from '../app/fixture.js'
import { bounded, next, socketFrom, startNode, type Node } from './support.js'

const net = network()
const acme = net.config.tenantById('acme')!
const DE = socketFrom('127.1.0.11')
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

async function mint(meetingId: string, identity: string, role: 'host' | 'attendee' = 'attendee'): Promise<string> {
  return (await eu1.app.sovereign.meetings.mintToken(meetingId, acme, { identity, role, displayName: identity })).token
}

function connect(node: Node, token: string, extra: Partial<Parameters<typeof SignalClient.connect>[1]> = {}): SignalClient {
  const c = SignalClient.connect(node.url, { WebSocket: DE, token, ...extra })
  clients.push(c)
  return c
}

t.test('managed mode: key in the welcome, rotation on removal and on leave reaches those who remain', async (t) => {
  const meeting = await eu1.app.sovereign.meetings.create(acme, { keyMode: 'managed', passcodeRequired: false, waitingRoom: false })
  const [hk, ak, bk] = await Promise.all([generateParticipantKeyPair(), generateParticipantKeyPair(), generateParticipantKeyPair()])

  const noKey = connect(eu1, await mint(meeting.id, 'nokey'))
  const refused = await bounded(noKey.joined, 'nokey joined')
  t.same(refused.kind === 'denied' && refused.code, 'SR_PUBLIC_KEY_REQUIRED', 'managed mode needs a public key')

  const host = connect(eu1, await mint(meeting.id, 'host', 'host'), { keyPair: hk })
  const hostKey = next(host, 'media-key')
  t.equal((await bounded(host.joined, 'host joined')).kind, 'welcome')
  const [k1] = await hostKey
  t.equal(k1.version, 1, 'the host opens key version 1 from its welcome')
  const ann = connect(eu2, await mint(meeting.id, 'ann'), { keyPair: ak })
  const annKey = next(ann, 'media-key')
  t.equal((await bounded(ann.joined, 'ann joined')).kind, 'welcome')
  const [a1] = await annKey
  t.equal(a1.version, 1)
  t.same(Buffer.from(a1.key), Buffer.from(k1.key), 'both hold the same media key')
  const bo = connect(eu2, await mint(meeting.id, 'bo'), { keyPair: bk })
  t.equal((await bounded(bo.joined, 'bo joined')).kind, 'welcome')

  // Removal: version 2 for host and ann, not for bo.
  let boGotNewKey = false
  bo.on('media-key', (k) => { if (k.version > 1) boGotNewKey = true })
  const hostK2 = next(host, 'media-key', (k) => k.version === 2)
  const annK2 = next(ann, 'media-key', (k) => k.version === 2)
  const boClosed = next(bo, 'close')
  host.remove(participantIdFor(meeting.id, 'bo'))
  t.equal((await boClosed)[0].code, CLOSE_CODES.removed)
  const [[h2], [n2]] = await Promise.all([hostK2, annK2])
  t.same(Buffer.from(h2.key), Buffer.from(n2.key), 'the remaining participants share version 2')
  t.not(Buffer.from(h2.key).toString('hex'), Buffer.from(k1.key).toString('hex'), 'a fresh key')
  t.notOk(boGotNewKey, 'the removed participant never receives version 2')

  // Leave: version 3 for the host only.
  const hostK3 = next(host, 'media-key', (k) => k.version === 3)
  await bounded(ann.leave(), 'ann leaves')
  t.equal((await hostK3)[0].version, 3, 'a leave rotates too')
  const audit = await eu1.state.audit.read(meeting.id)
  t.ok(audit.filter((e) => e.kind === 'key-rotation').length >= 2, 'rotations are audited')
})

t.test('e2ee mode: key messages are forwarded unread to one or all', async (t) => {
  const meeting = await eu1.app.sovereign.meetings.create(acme, { keyMode: 'e2ee', passcodeRequired: false })
  // The host joins first: join-before-host is off, so an attendee who raced ahead would wait.
  const a = connect(eu1, await mint(meeting.id, 'a', 'host'))
  t.equal((await bounded(a.joined, 'a joined')).kind, 'welcome')
  const b = connect(eu2, await mint(meeting.id, 'b'))
  t.equal((await bounded(b.joined, 'b joined')).kind, 'welcome')
  const got = next(b, 'signal')
  a.sendKey('all', 'opaque-sealed-blob')
  const [m] = await got
  t.same({ kind: m.kind, payload: m.payload, from: m.from }, { kind: 'key', payload: 'opaque-sealed-blob', from: participantIdFor(meeting.id, 'a') })
  const err = next(a, 'error')
  a.sendKey(participantIdFor(meeting.id, 'nobody'), 'x')
  t.equal((await err)[0].code, 'SR_UNKNOWN_PARTICIPANT', 'only to admitted participants')
})

t.test('a host denies a waiting participant: denied, close 4007', async (t) => {
  const meeting = await eu1.app.sovereign.meetings.create(acme, { waitingRoom: true, passcodeRequired: false })
  const host = connect(eu1, await mint(meeting.id, 'h', 'host'))
  t.equal((await bounded(host.joined, 'host joined')).kind, 'welcome')
  const waiting = next(host, 'participant-waiting')
  const w = connect(eu2, await mint(meeting.id, 'w'))
  t.equal((await bounded(w.joined, 'w joined')).kind, 'waiting')
  const closed = next(w, 'close')
  const denied = next(w, 'denied')
  host.deny((await waiting)[0].participantId)
  t.equal((await denied)[0].code, 'SR_DENIED_BY_HOST')
  t.equal((await closed)[0].code, CLOSE_CODES.deniedByHost)
})

/** A raw socket speaking the subprotocol, for frames the typed client refuses to send; every wait is bounded. */
async function raw(node: Node): Promise<{ ws: WebSocket; closed: () => Promise<number>; messages: unknown[]; received: (n: number) => Promise<void> }> {
  const ws = new WebSocket(node.url, SUBPROTOCOL, { localAddress: '127.1.0.12' })
  const messages: unknown[] = []
  const waiters: Array<() => void> = []
  ws.on('message', (d) => {
    messages.push(JSON.parse(String(d)))
    for (const w of waiters.splice(0)) w()
  })
  const closed = new Promise<number>((resolve) => ws.on('close', (c) => {
    resolve(c)
    for (const w of waiters.splice(0)) w()
  }))
  await bounded(new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject) }), 'raw socket open')
  /** Resolves once `n` messages have arrived (at once if they already have); fails if the socket closes first. */
  const received = (n: number): Promise<void> => bounded((async () => {
    while (messages.length < n) {
      if (ws.readyState === WebSocket.CLOSED) throw new Error(`socket closed after ${messages.length} of ${n} messages: ${JSON.stringify(messages)}`)
      await new Promise<void>((resolve) => waiters.push(resolve))
    }
  })(), `${n} messages`)
  return { ws, closed: () => bounded(closed, 'raw socket close'), messages, received }
}

t.test('protocol limits', async (t) => {
  const big = await raw(eu1)
  big.ws.send(JSON.stringify({ type: 'ping', nonce: 'x'.repeat(70_000) }))
  t.equal(await big.closed(), CLOSE_CODES.messageTooLarge, 'an oversized frame closes with 4016')

  const bad = await raw(eu1)
  bad.ws.send(JSON.stringify({ type: 'join', token: 't', extra: 1 }))
  t.equal(await bad.closed(), CLOSE_CODES.protocolViolation, 'an unknown field closes with 4000')

  const early = await raw(eu1)
  early.ws.send(JSON.stringify({ type: 'signal', to: 'all', kind: 'ice', payload: '' }))
  early.ws.send(JSON.stringify({ type: 'ping', nonce: 'n' }))
  await early.received(2)
  t.match(early.messages[0], { type: 'error', code: 'SR_NOT_JOINED' }, 'signals before join are refused')
  t.match(early.messages[1], { type: 'pong', nonce: 'n' }, 'the session continues')
  early.ws.close()

  const flood = await raw(eu1)
  for (let i = 0; i < 400; i++) flood.ws.send(JSON.stringify({ type: 'ping' }))
  t.equal(await flood.closed(), CLOSE_CODES.rateLimited, 'a flood closes with 4008')
})

t.test('a participant closed for flooding leaves the meeting (no stale endpoint)', async (t) => {
  const meeting = await eu1.app.sovereign.meetings.create(acme, { passcodeRequired: false, waitingRoom: false })
  const host = connect(eu1, await mint(meeting.id, 'h', 'host'))
  t.equal((await bounded(host.joined, 'host joined')).kind, 'welcome')
  const flooder = connect(eu2, await mint(meeting.id, 'f'))
  t.equal((await bounded(flooder.joined, 'flooder joined')).kind, 'welcome')
  const left = next(host, 'participant-left')
  const closed = next(flooder, 'close')
  for (let i = 0; i < 400 && !flooder.closed; i++) {
    try {
      flooder.ping().catch(() => undefined)
    } catch {
      break // the server already closed it
    }
  }
  t.equal((await closed)[0].code, CLOSE_CODES.rateLimited)
  t.equal((await left)[0], participantIdFor(meeting.id, 'f'), 'the others are told it left')
  const status = (await eu1.state.meetings.listParticipants(meeting.id)).find((p) => p.identity === 'f')?.status
  t.equal(status, 'left', 'its state is left')
})
