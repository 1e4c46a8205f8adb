/**
 * PeerLink in a real browser: two peers in headless Chromium, each with its own signaling
 * client to a scripted control plane (which forwards signals between them and, like the
 * real one, welcomes each with ICE servers of one region relay). The call runs through
 * relay A; relay A dies; the control plane sends both an `ice-restart` naming relay B.
 * The helper must apply it (setConfiguration + restartIce, renegotiated over signaling)
 * and the data channel must carry messages again, now through relay B.
 */
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

import { chromium } from 'playwright-core'
import t from 'tap'

import { buildClientBundle } from '../../../control-plane/client-bundle.js'
import type { IceServerShape, WelcomeMessage } from '../../../control-plane/protocol/server-messages.js'
import { mintTurnCredential } from '../../../relay/auth/index.js'
import { startRelayNode, type RelayNode } from '../../../relay/relay-node.js'
import { FakeControlPlane, forwardSignals } from './fake-control-plane.js'

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => existsSync(p))
const SECRET = 'peer-link-test-secret-0123'
const MEETING = 'eu-west.0123456789abcdefghjkmnpqrs'

function welcome(participantId: string, iceServers: IceServerShape[], others: string[]): WelcomeMessage {
  return {
    type: 'welcome', protocol: 1, participantId, displayName: participantId, role: 'attendee', capabilities: [], iceServers,
    participants: others.map((id) => ({ participantId: id, displayName: id, role: 'attendee' as const, capabilities: [] })),
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

t.test('PeerLink applies an ice-restart: the call moves from a dead relay to the one named, relay-only', { skip: CHROMIUM ? false : 'no Chromium on this machine' }, async (t) => {
  const bundle = await readFile(await buildClientBundle(), 'utf8')
  const relays = await Promise.all(['a', 'b'].map(() => startRelayNode({ listen: ['127.0.0.1:0'], secrets: [SECRET], allowPeers: ['127.0.0.0/8'] })))
  const [relayA, relayB] = relays as [RelayNode, RelayNode]
  t.teardown(() => relayB.close())
  const allocations = { a: 0, b: 0 }
  relayA.server.events.on('allocation-created', () => { allocations.a += 1 })
  relayB.server.events.on('allocation-created', () => { allocations.b += 1 })

  const http = createServer((req, res) => {
    if (req.url === '/sdk.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' })
      return void res.end(bundle)
    }
    res.writeHead(200, { 'content-type': 'text/html' })
    res.end(`<!doctype html><meta charset="utf-8"><script type="module">${PAGE_SCRIPT}</script>`)
  })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => http.close(() => resolve())))
  const cp = await FakeControlPlane.start()
  t.teardown(() => cp.stop())

  const browser = await chromium.launch({ executablePath: CHROMIUM!, args: ['--no-sandbox', '--headless', '--allow-loopback-in-peer-connection', '--disable-background-networking', '--no-first-run'] })
  t.teardown(() => browser.close())
  const tab = await browser.newPage()
  await tab.goto(`http://127.0.0.1:${(http.address() as AddressInfo).port}/`)
  await tab.waitForFunction(() => 'peers' in globalThis)

  const started = tab.evaluate((url) => (globalThis as unknown as { peers: { start(u: string): Promise<void> } }).peers.start(url), cp.url)
  const connA = await cp.connections.next()
  await connA.messages.next()
  connA.send(welcome('p_a', [serverOf(relayA, 'p_a')], []))
  const connB = await cp.connections.next()
  await connB.messages.next()
  connB.send(welcome('p_b', [serverOf(relayA, 'p_b')], ['p_a']))
  void forwardSignals(connA, 'p_a', connB)
  void forwardSignals(connB, 'p_b', connA)
  await started

  const exchange = (text: string) => tab.evaluate((m) => (globalThis as unknown as { peers: { exchange(t: string): Promise<string> } }).peers.exchange(m), text)
  t.equal(await exchange('before'), 'before', 'the data channel carries a message through relay A')
  t.ok(allocations.a >= 2 && allocations.b === 0, `relay A allocated for both peers, relay B for none (${allocations.a}, ${allocations.b})`)

  await relayA.close()
  const restartedAt = Date.now()
  connA.send({ type: 'ice-restart', reason: 'relay-lost', relayId: 'relay-a', iceServers: [serverOf(relayB, 'p_a')] })
  connB.send({ type: 'ice-restart', reason: 'relay-lost', relayId: 'relay-a', iceServers: [serverOf(relayB, 'p_b')] })
  t.equal(await exchange('after'), 'after', 'after the restart the data channel carries messages again')
  t.comment(`data flowed again ${Date.now() - restartedAt} ms after the ice-restart`)
  const seen = await tab.evaluate(() => (globalThis as unknown as { peers: { report(): unknown } }).peers.report())
  t.same(seen, {
    restarts: [['a', 'relay-lost'], ['b', 'relay-lost']],
    policy: ['relay', 'relay'],
    urls: [[`turn:127.0.0.1:${relayB.addresses.find((x) => x.transport === 'udp')!.port}?transport=udp`], [`turn:127.0.0.1:${relayB.addresses.find((x) => x.transport === 'udp')!.port}?transport=udp`]],
    errors: [],
  }, 'each helper applied the new servers (relay-only kept) and restarted ICE')
  t.ok(allocations.b >= 2, `relay B allocated for both peers (${allocations.b})`)
})

/** Plain JavaScript for the page: two PeerLinks over two signaling clients. */
const PAGE_SCRIPT = `
import { SignalClient, PeerLink } from '/sdk.js'
const restarts = [], errors = []
let a, b, channel
const waiters = new Map()
// Echoes of earlier resends may still arrive: each exchange waits for its own text.
function deliver(text) { const w = waiters.get(text); if (w) { waiters.delete(text); w(text) } }
globalThis.peers = {
  async start(url) {
    const ca = SignalClient.connect(url, { WebSocket, token: 'tok.en.a' })
    await ca.joined
    const cb = SignalClient.connect(url, { WebSocket, token: 'tok.en.b' })
    await cb.joined
    b = new PeerLink(cb, { remote: 'p_a' })
    a = new PeerLink(ca, { remote: 'p_b' })
    for (const [name, link] of [['a', a], ['b', b]]) {
      link.on('ice-restart', (reason) => restarts.push([name, reason]))
      link.on('error', (err) => errors.push(name + ': ' + err.message))
    }
    b.on('datachannel', (c) => { c.onmessage = (e) => { c.send(e.data) } })
    channel = a.createDataChannel('chat')
    channel.onmessage = (e) => deliver(String(e.data))
    await new Promise((resolve) => { channel.onopen = resolve })
  },
  /** Sends until the echo comes back (a restart in progress may drop the first sends). */
  async exchange(text) {
    const echoed = new Promise((resolve) => waiters.set(text, resolve))
    const timer = setInterval(() => { if (channel.readyState === 'open') channel.send(text) }, 100)
    if (channel.readyState === 'open') channel.send(text)
    const got = await Promise.race([echoed, new Promise((_, reject) => setTimeout(() => reject(new Error('no echo of ' + text)), 20000))])
    clearInterval(timer)
    return got
  },
  report() {
    return {
      restarts: [...restarts].sort(),
      policy: [a, b].map((l) => l.pc.getConfiguration().iceTransportPolicy),
      urls: [a, b].map((l) => l.pc.getConfiguration().iceServers.flatMap((s) => s.urls)),
      errors,
    }
  },
}
`
