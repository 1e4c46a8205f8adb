/**
 * Issue 9, item 1: a participant whose socket stops reading while another one floods
 * signals at it. The node queues at most `maxBufferedBytes` (plus one frame) for it, then
 * closes it with 4019 SR_SLOW_CONSUMER and counts it; the sender goes on unaffected.
 * Real sockets on loopback, real Redis (the signals cross the region bus).
 */
import type { Socket } from 'node:net'

import t from 'tap'
import WebSocket from 'ws'

import { CLOSE_CODES } from '../../../control-plane/protocol/error-codes.js'
import { LIMITS, SUBPROTOCOL } from '../../../control-plane/protocol/version.js'
import { dropPrefix, network } from '../app/fixture.js'
import { bounded, startNode, type Node } from './support.js'

const net = network()
const acme = net.config.tenantById('acme')!
const LIMIT = 65_536
let node: Node

t.before(async () => {
  // The flooder may send as fast as it likes: only the reader's side is under test.
  node = await startNode(net, 'eu-central', 'eu-cp-slow', { maxBufferedBytes: LIMIT, rate: { ratePerSecond: 1_000_000, burst: 1_000_000 } })
})
t.teardown(async () => {
  await dropPrefix(node.state, net.prefix)
  await node.close()
})

interface Raw {
  readonly ws: WebSocket
  readonly messages: Array<{ type: string; [k: string]: unknown }>
  readonly closed: Promise<number>
  /** Resolves with the first message of `type` from now on (or already received). */
  next(type: string): Promise<{ type: string; [k: string]: unknown }>
}

/** A raw subprotocol socket from 127.1.0.x (DE) that joined with `token`. */
async function join(token: string, localAddress: string): Promise<Raw & { participantId: string }> {
  const ws = new WebSocket(node.url, SUBPROTOCOL, { localAddress })
  const messages: Raw['messages'] = []
  const waiters: Array<{ type: string; resolve: (m: Raw['messages'][number]) => void }> = []
  ws.on('message', (d) => {
    const m = JSON.parse(String(d)) as Raw['messages'][number]
    messages.push(m)
    for (const w of waiters.splice(0)) {
      if (w.type === m.type) w.resolve(m)
      else waiters.push(w)
    }
  })
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)))
  const next = (type: string) => new Promise<Raw['messages'][number]>((resolve) => waiters.push({ type, resolve }))
  await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject) })
  const welcome = next('welcome')
  ws.send(JSON.stringify({ type: 'join', token }))
  const w = await bounded(welcome, 'welcome')
  return { ws, messages, closed, next, participantId: String(w.participantId) }
}

async function slowConsumers(): Promise<number> {
  const metric = await node.app.sovereign.registry.getSingleMetric('sovereign_cp_signal_slow_consumers_total')!.get()
  return metric.values[0]?.value ?? 0
}

t.test('a socket that stops reading under a signaling flood is closed with 4019 once the limit is queued; the sender is unaffected', async (t) => {
  const meeting = await node.app.sovereign.meetings.create(acme, { passcodeRequired: false, waitingRoom: false })
  const mint = async (identity: string, role: 'host' | 'attendee') => (await node.app.sovereign.meetings.mintToken(meeting.id, acme, { identity, role })).token
  const sender = await join(await mint('sender', 'host'), '127.1.0.31')
  const reader = await join(await mint('reader', 'attendee'), '127.1.0.32')
  const left = sender.next('participant-left')

  // The reader stops reading: the kernel buffers fill, then the server's own queue would grow.
  ;(reader.ws as unknown as { _socket: Socket })._socket.pause()

  const sdp = 'v=0\r\n' + 'a=x'.repeat(10_000)
  const offer = JSON.stringify({ type: 'signal', to: reader.participantId, kind: 'offer', payload: sdp })
  let sent = 0
  let maxQueued = 0
  const queued = () => {
    for (const client of node.app.websocketServer.clients) maxQueued = Math.max(maxQueued, client.bufferedAmount)
  }
  // Flood in rounds; each round ends with a pong, so the node has taken every signal of it.
  while ((await slowConsumers()) === 0 && sent < 32_000_000) {
    for (let i = 0; i < 64; i++) { sender.ws.send(offer); sent += offer.length }
    const pong = sender.next('pong')
    sender.ws.send(JSON.stringify({ type: 'ping' }))
    await bounded(pong, 'pong after a round of the flood')
    queued()
  }
  t.equal(await slowConsumers(), 1, `the reader was closed as a slow consumer after ${(sent / 1e6).toFixed(1)} MB were sent at it`)
  t.ok(maxQueued <= LIMIT + LIMITS.maxFrameBytes, `the node never queued more than the limit plus one frame for it (at most ${maxQueued} bytes seen)`)

  // More signals for the closed reader cost nothing: nothing is queued for it any more.
  for (let i = 0; i < 16; i++) sender.ws.send(offer)
  const pong = sender.next('pong')
  sender.ws.send(JSON.stringify({ type: 'ping' }))
  await bounded(pong, 'the sender still gets answers')
  queued()
  t.ok(maxQueued <= LIMIT + LIMITS.maxFrameBytes, 'still bounded after the close')
  t.equal(sender.ws.readyState, WebSocket.OPEN, 'the sender stays connected')
  t.same((await bounded(left, 'participant-left of the reader')).participantId, reader.participantId, 'the others are told the slow reader left')

  // Once it reads again, the reader gets what was queued, then the close with its code.
  ;(reader.ws as unknown as { _socket: Socket })._socket.resume()
  t.equal(await bounded(reader.closed, 'the reader close'), CLOSE_CODES.slowConsumer, 'closed with 4019')
  sender.ws.close()
})
