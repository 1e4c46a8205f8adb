/**
 * A call between a browser and a node-datachannel peer survives a relay's death (issue 12):
 * one headless Chromium tab (the published SDK's PeerLink) and one Node peer (the SDK's NodePeerLink: a new connection, since
 * libdatachannel has no ICE restart) share a pre-negotiated data channel through eu-a of
 * eu-central; the tab probes every 20 ms and the Node peer echoes. SIGKILL eu-a: both
 * sides are moved to eu-b and data should flow again, never through us-east's relay.
 *
 * The two stacks restart differently: the Node side replaces its whole connection (new
 * DTLS certificate, new SCTP association); the tab, seeing the new fingerprint, follows
 * with a new RTCPeerConnection of its own instead of restarting ICE on the old one
 * (PROTOCOL.md, "Failover: a peer that rebuilds"). Both the first connection and the
 * failover depend on each new tab connection's first offer or answer carrying its
 * candidates: trickled ones could reach the Node side after the tab's checks, which
 * libjuice then answered from its host socket instead of its relay (dropped by the relay,
 * no permission), so the connection never came up (2 runs of 8, twice).
 */
import nodeDataChannel from 'node-datachannel'
import { chromium, type Browser } from 'playwright-core'
import t from 'tap'

import { buildClientBundle } from '../../../control-plane/client-bundle.js'
import { NodePeerLink, type NdcPeerConnectionConstructor } from '../../../control-plane/client/node-peer-link.js'
import { SignalClient } from '../../../control-plane/client/signal-client.js'
import { FailoverNetwork, RELAY_IPS, socketFrom } from '../../../loadtest/failover-harness.js'
import { ARGS, CHROMIUM, CHROMIUM_ONLY, LINK, echoes, errorsOf, openTab, relayPair, restartsOf, route, run, silenceSince, statesOf, turnUrls, type Tab } from './support/chromium-tab.js'

let net: FailoverNetwork
let browser: Browser
let client: SignalClient
let link: NodePeerLink
let ana: Tab

t.before(async () => {
  if (!CHROMIUM) return
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

t.test('a Chromium tab and a node-datachannel peer: a SIGKILLed relay, and the call carries on through the other relay of the region', CHROMIUM_ONLY, async (t) => {
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
  client.on('signal', (m) => { if (m.kind !== 'ice') nodeStates.push([Date.now(), 'got ' + m.kind]) })
  link.on('error', (err) => t.comment(`node link: ${err.message}`))
  link.start()
  await run(ana.tab, LINK, { remote: joined.welcome.participantId, offerer: true, negotiated: true })

  const nodePair = () => {
    const pair = (link.pc as unknown as { getSelectedCandidatePair(): { local: { address: string; type: string }; remote: { address: string; type: string } } | null }).getSelectedCandidatePair()
    return { local: pair?.local.address, remote: pair?.remote.address, localType: pair?.local.type, remoteType: pair?.remote.type }
  }
  // Before any failover: the first connection must open (what each side did, if not).
  const startedAt = Date.now()
  await echoes(ana.tab, 10, 20_000).catch(async (err: Error) => {
    const seen = (await statesOf(ana.tab)).map(([at, what]) => `${what} +${at - startedAt} ms`).join(', ')
    const npc = link.pc as unknown as { iceState(): string; state(): string }
    t.comment(`node pc: ice ${npc.iceState()}, ${npc.state()}; node selected pair ${JSON.stringify(nodePair())}`)
    t.comment(`first connection: ana: ${seen}; errors ${JSON.stringify(await errorsOf(ana.tab))}; node: ${nodeStates.map(([at, s]) => `${s} +${at - startedAt} ms`).join(', ')}`)
    throw err
  })
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
