/**
 * Interop with the TURN client of a real browser: Chromium's WebRTC (libwebrtc) over TURN
 * over TCP and over TLS — the transports node-datachannel's libjuice cannot speak. Two
 * RTCPeerConnections in a headless page, `iceTransportPolicy: 'relay'`, this relay as the
 * only ICE server: the data channel must open and carry a message, the selected pair must
 * be relay/relay over the transport under test (from the browser's own getStats), and the
 * relay must have served those allocations over a TCP-family client connection.
 */
import { existsSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

import { chromium, type Browser, type Page } from 'playwright-core'
import t from 'tap'

import { mintTurnCredential } from '../../../relay/auth/index.js'
import { startRelayNode, type RelayNode } from '../../../relay/relay-node.js'
import { newMeetingId, newParticipantId } from '../../../state/meeting-id.js'
import { makeTestCertificates } from '../../support/tls-cert.js'

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p))
const SECRET = 'chromium-interop-secret-0123'

interface BrowserResult {
  readonly message: string
  readonly local: { candidateType: string; relayProtocol?: string; address?: string; port?: number }
  readonly remote: { candidateType: string; address?: string; port?: number }
}

t.test('Chromium connects two peers through the relay over TURN/TCP and TURN/TLS', { skip: CHROMIUM ? false : 'no Chromium on this machine' }, async (t) => {
  const certs = await makeTestCertificates()
  t.teardown(() => certs.remove())
  const node: RelayNode = await startRelayNode({
    listen: ['127.0.0.1:0'], secrets: [SECRET], allowPeers: ['127.0.0.0/8'], requireMeeting: true,
    tls: { listen: ['127.0.0.1:0'], cert: certs.cert, key: certs.key },
  })
  t.teardown(() => node.close())
  /** Each allocation's client transport and the relay port it came in on. */
  const allocations: Array<{ transport: string; port: number | undefined }> = []
  node.server.events.on('allocation-created', (a) => allocations.push({ transport: a.transport, port: node.server.allocationById(a.id)?.tuple.server.port }))

  const page = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' })
    res.end(`<!doctype html><meta charset="utf-8"><title>interop</title><script>${PAGE_SCRIPT}</script>`)
  })
  await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => page.close(() => resolve())))

  // Loopback ICE needs --allow-loopback-in-peer-connection; the TLS listener's certificate
  // comes from a test CA the browser does not know, hence --ignore-certificate-errors.
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM!,
    args: ['--no-sandbox', '--headless', '--allow-loopback-in-peer-connection', '--ignore-certificate-errors', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  })
  t.teardown(() => browser.close())
  const tab: Page = await browser.newPage()
  await tab.goto(`http://127.0.0.1:${(page.address() as AddressInfo).port}/`)

  const meetingId = newMeetingId('test')
  const credential = () => mintTurnCredential({ secret: SECRET, meetingId, participantId: newParticipantId(), ttlSeconds: 600, now: Date.now })
  const tcp = node.addresses.find((a) => a.transport === 'tcp')!
  const tls = node.addresses.find((a) => a.transport === 'tls')!

  for (const [name, url, protocol, port] of [
    ['TURN over TCP', `turn:127.0.0.1:${tcp.port}?transport=tcp`, 'tcp', tcp.port],
    ['TURN over TLS', `turns:127.0.0.1:${tls.port}?transport=tcp`, 'tls', tls.port],
  ] as const) {
    t.test(`${name}: a data channel opens through the relay and the selected pair is relay/relay over ${protocol}`, async (t) => {
      const before = allocations.length
      const a = credential()
      const b = credential()
      const result = await tab.evaluate((servers) => (globalThis as unknown as { runPair(s: unknown): Promise<BrowserResult> }).runPair(servers), { a: { urls: [url], username: a.username, credential: a.password }, b: { urls: [url], username: b.username, credential: b.password } })
      t.equal(result.message, 'hello through the relay', 'the message arrived')
      t.equal(result.local.candidateType, 'relay', 'the local candidate is a relay candidate')
      t.equal(result.remote.candidateType, 'relay', 'and so is the remote one')
      t.equal(result.local.relayProtocol, protocol, `the browser reached the relay over ${protocol}`)
      t.equal(result.local.address, '127.0.0.1', 'the relayed address is this relay\'s')
      const made = allocations.slice(before)
      t.ok(made.length >= 2, 'the relay created an allocation for each peer')
      t.same([...new Set(made.map((m) => `${m.transport}:${m.port}`))], [`tcp:${port}`], `each over a TCP-family connection to the ${protocol.toUpperCase()} listener`)
    })
  }
})

/**
 * The page's script, plain JavaScript (a function passed from here would carry the TS
 * loader's helpers into the page): two peers, relay-only, one data channel, then the
 * selected candidate pair from the browser's own getStats.
 */
const PAGE_SCRIPT = `
async function runPair(servers) {
  const within = (p, what) => Promise.race([p, new Promise((_, reject) => setTimeout(() => reject(new Error('timed out: ' + what)), 15000))])
  const a = new RTCPeerConnection({ iceServers: [servers.a], iceTransportPolicy: 'relay' })
  const b = new RTCPeerConnection({ iceServers: [servers.b], iceTransportPolicy: 'relay' })
  try {
    a.onicecandidate = (e) => { if (e.candidate) b.addIceCandidate(e.candidate) }
    b.onicecandidate = (e) => { if (e.candidate) a.addIceCandidate(e.candidate) }
    const channel = a.createDataChannel('interop')
    const opened = new Promise((resolve) => { channel.onopen = resolve })
    const received = new Promise((resolve) => { b.ondatachannel = (e) => { e.channel.onmessage = (m) => resolve(String(m.data)) } })
    await a.setLocalDescription(await a.createOffer())
    await b.setRemoteDescription(a.localDescription)
    await b.setLocalDescription(await b.createAnswer())
    await a.setRemoteDescription(b.localDescription)
    await within(opened, 'data channel open')
    channel.send('hello through the relay')
    const message = await within(received, 'message')
    const stats = []
    ;(await a.getStats()).forEach((s) => stats.push(s))
    const transport = stats.find((s) => s.type === 'transport' && s.selectedCandidatePairId)
    const pair = stats.find((s) => s.id === (transport && transport.selectedCandidatePairId))
    const local = stats.find((s) => pair && s.id === pair.localCandidateId) || {}
    const remote = stats.find((s) => pair && s.id === pair.remoteCandidateId) || {}
    return {
      message,
      local: { candidateType: local.candidateType, relayProtocol: local.relayProtocol, address: local.address, port: local.port },
      remote: { candidateType: remote.candidateType, address: remote.address, port: remote.port },
    }
  } finally {
    a.close()
    b.close()
  }
}
globalThis.runPair = runPair
`
