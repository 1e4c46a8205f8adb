/**
 * A call between a browser and a node-datachannel peer survives a relay's death (issue 12):
 * one headless Chromium tab (the published SDK's PeerLink: `restartIce()` on the same
 * connection) and one Node peer (the SDK's NodePeerLink: a new connection, since
 * libdatachannel has no ICE restart) share a pre-negotiated data channel through eu-a of
 * eu-central; the tab probes every 20 ms and the Node peer echoes. SIGKILL eu-a: both
 * sides are moved to eu-b and data should flow again, never through us-east's relay.
 *
 * KNOWN GAP, so skipped unless SOVEREIGN_MIXED_FAILOVER=1 (it reproduces it): the Node
 * side replaces its whole connection (new DTLS certificate, new SCTP association) while
 * the browser restarts ICE on its existing one and keeps its DTLS and SCTP state. Both
 * sides reach eu-b (ICE connects, sometimes DTLS too), but data resumed within 10 s in
 * 4 of 8 runs on a loaded 2-core machine (in ~1.3 s when it did), and in 2 runs of 10
 * the first connection never opened within 20 s. A fix is for PeerLink to follow a remote that rebuilt (an offer with a new DTLS
 * fingerprint) with a new RTCPeerConnection of its own, as NodePeerLink does on
 * `remote-restart`; until then a call mixing the two stacks does not survive a failover.
 */
import nodeDataChannel from 'node-datachannel'
import { chromium, type Browser } from 'playwright-core'
import t from 'tap'

import { buildClientBundle } from '../../../control-plane/client-bundle.js'
import { NodePeerLink, type NdcPeerConnectionConstructor } from '../../../control-plane/client/node-peer-link.js'
import { SignalClient } from '../../../control-plane/client/signal-client.js'
import { FailoverNetwork, RELAY_IPS, socketFrom } from '../../../loadtest/failover-harness.js'
import { ARGS, CHROMIUM, CHROMIUM_ONLY, LINK, echoes, errorsOf, openTab, relayPair, restartsOf, route, run, silenceSince, statesOf, turnUrls, type Tab } from './support/chromium-tab.js'

const RUN = process.env['SOVEREIGN_MIXED_FAILOVER'] === '1'
const KNOWN_GAP = RUN
  ? CHROMIUM_ONLY
  : { skip: 'known gap: a browser (ICE restart) and a node-datachannel peer (a new connection) do not resume reliably; SOVEREIGN_MIXED_FAILOVER=1 runs it' }

let net: FailoverNetwork
let browser: Browser
let client: SignalClient
let link: NodePeerLink
let ana: Tab

t.before(async () => {
  if (!CHROMIUM || !RUN) return
  await buildClientBundle()
  net = await FailoverNetwork.start()
  await Promise.all([net.startRelay('eu-a'), net.startRelay('us-a')])
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS })
})

t.teardown(async () => {
  link?.close()
  await client?.close()
  nodeDataChannel.cleanup()
  await browser?.close()
  await net?.close()
})

t.test('a Chromium tab and a node-datachannel peer: a SIGKILLed relay, and the call carries on through the other relay of the region', KNOWN_GAP, async (t) => {
  const meeting = await net.meeting()
  ana = await openTab(browser, net.baseUrl, await meeting.token('ana', 'host'))
  client = SignalClient.connect(net.signalUrl, { WebSocket: socketFrom('127.1.0.3'), token: await meeting.token('nod', 'attendee') })
  const joined = await client.joined
  if (joined.kind !== 'welcome') throw new Error(`the node peer was not welcomed: ${joined.kind}`)
  const rebuilt: string[] = []
  link = new NodePeerLink(client, {
    remote: ana.participantId, PeerConnection: nodeDataChannel.PeerConnection as unknown as NdcPeerConnectionConstructor,
    channels: [{ label: 'probe', id: 1 }], offer: false, bindAddress: '127.1.0.3',
  })
  link.on('channel', (_label, dc) => dc.onMessage((m) => { try { dc.sendMessage(String(m)) } catch { /* a replaced channel closes under us */ } }))
  link.on('rebuilt', (reason) => rebuilt.push(reason))
  const nodeStates: Array<[number, string]> = []
  link.on('state', (state) => nodeStates.push([Date.now(), state]))
  link.on('error', (err) => t.comment(`node link: ${err.message}`))
  link.start()
  await run(ana.tab, LINK, { remote: joined.welcome.participantId, offerer: true, negotiated: true })

  const startedAt = Date.now()
  await echoes(ana.tab, 10, 20_000).catch(async (err: Error) => {
    const seen = (await statesOf(ana.tab)).map(([at, what]) => `${what} +${at - startedAt} ms`).join(', ')
    t.comment(`first connection: ana: ${seen}; errors ${JSON.stringify(await errorsOf(ana.tab))}; node: ${nodeStates.map(([at, s]) => `${s} +${at - startedAt} ms`).join(', ')}`)
    throw err
  })
  const nodePair = () => {
    const pair = (link.pc as unknown as { getSelectedCandidatePair(): { local: { address: string; type: string }; remote: { address: string; type: string } } | null }).getSelectedCandidatePair()
    return { local: pair?.local.address, remote: pair?.remote.address, localType: pair?.local.type, remoteType: pair?.remote.type }
  }
  t.same([await route(ana.tab), nodePair()], [relayPair(RELAY_IPS['eu-a']), relayPair(RELAY_IPS['eu-a'])], 'both sides go relay/relay through eu-a')

  const b = await net.startRelay('eu-b')
  const killedAt: number = await ana.tab.evaluate('performance.now()')
  const killedAtWall = Date.now()
  await net.kill('eu-a')
  const resumed = await echoes(ana.tab, 10, 10_000).then(() => true, () => false)
  // What each side did, to tell where the mixed failover stops.
  const notes = `ana: ${(await statesOf(ana.tab)).filter(([at]) => at >= killedAtWall).map(([at, what]) => `${what} +${at - killedAtWall} ms`).join(', ')}; errors ${JSON.stringify(await errorsOf(ana.tab))}; node: rebuilt ${rebuilt.join(', ')}; states ${nodeStates.filter(([at]) => at >= killedAtWall).map(([at, s]) => `${s} +${at - killedAtWall} ms`).join(', ')}`
  t.comment(`after SIGKILL: ${notes}`)
  t.ok(resumed, 'data flows again within 10 s of the kill')
  if (!resumed) return
  const { gap, endedAfter } = await silenceSince(ana.tab, killedAt)
  t.pass(`longest silence ${Math.round(gap)} ms, data flowing again ${Math.round(endedAfter)} ms after SIGKILL`)
  t.same([await route(ana.tab), nodePair()], [relayPair(RELAY_IPS['eu-b']), relayPair(RELAY_IPS['eu-b'])], "both sides go relay/relay at eu-b's address, not us-east's")
  t.same(await restartsOf(ana.tab), [{ reason: 'relay-lost', relayId: 'eu-a', urls: turnUrls(b.udp) }], 'the tab was sent one ice-restart, with eu-b only')
  t.same(await errorsOf(ana.tab), [], 'and saw no error')
})
