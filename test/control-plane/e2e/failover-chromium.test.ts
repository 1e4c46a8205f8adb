/**
 * Calls survive a relay's death, in a browser (issue 12): two headless Chromium tabs join
 * a meeting of eu-central with nothing but the published SDK bundle the control plane
 * serves beside `/examples/call` (SignalClient + PeerLink: relay-only ICE, `setConfiguration`
 * + `restartIce()` on an `ice-restart`), and hold a data channel on which one tab probes
 * every 20 ms and the other echoes. eu-central has two relays, us-east one; each relay is a
 * process of its own heartbeating with a 1 s TTL (the harness of failover.test.ts).
 * The call runs through eu-a; SIGKILL eu-a: data flows again, and the selected candidate
 * pair of each tab is relay/relay at eu-b's address, never us-east's. Then a drain of
 * eu-b moves the call back to a restarted eu-a with no gap over 1 s; then with every
 * relay of the allowed set gone, each tab gets a coded refusal and no relay of another
 * region. Chromium's source address is always 127.0.0.1 (it cannot choose): the harness
 * places it in eu-central's country.
 */
import { existsSync } from 'node:fs'

import { chromium, type Browser, type Page } from 'playwright-core'
import t from 'tap'

import { buildClientBundle } from '../../../control-plane/client-bundle.js'
import { CALL_PATH, CALL_SDK_PATH } from '../../../control-plane/examples/call-page.js'
import { FailoverNetwork, RELAY_IPS } from '../../../loadtest/failover-harness.js'

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => existsSync(p))
const ARGS = [
  '--headless', '--no-sandbox', '--allow-loopback-in-peer-connection', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
  // Two tabs of one headless browser: neither may have its probe timer throttled as a background tab.
  '--disable-background-timer-throttling', '--disable-renderer-backgrounding', '--disable-backgrounding-occluded-windows',
]

/**
 * In-page code, given as strings so the test's transpiler adds no helpers to it. `JOIN`
 * imports the SDK from the control plane and joins; `LINK` wires a PeerLink to the other
 * tab: the offerer opens the `probe` channel and sends a number every 20 ms, the answerer
 * echoes; echo arrival times (performance.now) are kept in `window.probe.echoes`. Each tab
 * also notes (wall clock) its ICE restarts and its ICE transport's pair changes: after a
 * kill the new pair is often found over a second before data flows again (a data
 * channel's SCTP retransmits on its own backoff timer, blind to the path change).
 */
const JOIN = `async ({ token, sdk }) => {
  const { SignalClient, PeerLink } = await import(location.origin + sdk)
  const client = SignalClient.connect(location.origin.replace(/^http/, 'ws') + '/v1/signal', { WebSocket, token })
  const probe = window.probe = { PeerLink, client, echoes: [], restarts: [], errors: [] }
  client.on('ice-restart', (m) => probe.restarts.push({ reason: m.reason, relayId: m.relayId, urls: m.iceServers.flatMap((s) => s.urls) }))
  client.on('error', (m) => probe.errors.push(m.code))
  const joined = await client.joined
  if (joined.kind !== 'welcome') throw new Error('not welcomed: ' + joined.kind)
  return { participantId: joined.welcome.participantId, urls: joined.welcome.iceServers.flatMap((s) => s.urls) }
}`

const LINK = `({ remote, offerer }) => {
  const probe = window.probe
  const link = probe.link = new probe.PeerLink(probe.client, { remote })
  link.on('error', (err) => probe.errors.push(err.message))
  probe.states = []
  link.on('ice-restart', (reason) => probe.states.push([Date.now(), 'ice-restart']))
  link.on('state', (state) => probe.states.push([Date.now(), 'pc ' + state]))
  let watched = false
  const watch = () => {
    const ice = link.pc.sctp && link.pc.sctp.transport.iceTransport
    if (!ice || watched) return
    watched = true
    ice.addEventListener('selectedcandidatepairchange', () => {
      const pair = ice.getSelectedCandidatePair()
      probe.states.push([Date.now(), 'pair ' + (pair ? pair.local.address : 'none')])
    })
  }
  let seq = 0
  const use = (dc) => {
    dc.addEventListener('open', watch)
    if (dc.readyState === 'open') watch()
    if (offerer) {
      dc.onmessage = () => probe.echoes.push(performance.now())
      setInterval(() => { if (dc.readyState === 'open') dc.send(String(++seq)) }, 20)
    } else {
      dc.onmessage = (e) => { if (dc.readyState === 'open') dc.send(e.data) }
    }
  }
  if (offerer) use(link.createDataChannel('probe'))
  else link.on('datachannel', use)
}`

/** The selected candidate pair of the tab's peer connection, as Chromium's stats report it. */
const ROUTE = `async () => {
  const stats = []
  ;(await window.probe.link.pc.getStats()).forEach((s) => stats.push(s))
  const transport = stats.find((s) => s.type === 'transport' && s.selectedCandidatePairId)
  const pair = stats.find((s) => transport && s.id === transport.selectedCandidatePairId)
  const local = stats.find((s) => pair && s.id === pair.localCandidateId)
  const remote = stats.find((s) => pair && s.id === pair.remoteCandidateId)
  return { local: local && local.address, remote: remote && remote.address, localType: local && local.candidateType, remoteType: remote && remote.candidateType }
}`

interface Route { local?: string; remote?: string; localType?: string; remoteType?: string }
interface Restart { reason: string; relayId: string; urls: string[] }
interface Tab { tab: Page; participantId: string; urls: string[] }

const CHROMIUM_ONLY = { skip: CHROMIUM ? false : 'no Chromium on this machine' }
let net: FailoverNetwork
let browser: Browser
let meetingId: string
let ana: Tab
let ben: Tab
let tabs: Page[]

/** Runs one of the in-page functions above in the tab with a JSON argument, resolving to its (awaited) result. */
const run = <R>(tab: Page, fn: string, arg: unknown = {}): Promise<R> => tab.evaluate(`(${fn})(${JSON.stringify(arg)})`) as Promise<R>
const route = (tab: Page): Promise<Route> => run(tab, ROUTE)
const echoCount = (tab: Page): Promise<number> => tab.evaluate('window.probe.echoes.length')
const restartsOf = (tab: Page): Promise<Restart[]> => tab.evaluate('window.probe.restarts')
const errorsOf = (tab: Page): Promise<string[]> => tab.evaluate('window.probe.errors')
const relayPair = (ip: string): Route => ({ local: ip, remote: ip, localType: 'relay', remoteType: 'relay' })
const turnUrls = (udp: string): string[] => [`turn:${udp}?transport=udp`, `turn:${udp}?transport=tcp`]

t.before(async () => {
  if (!CHROMIUM) return
  await buildClientBundle()
  net = await FailoverNetwork.start()
  await Promise.all([net.startRelay('eu-a'), net.startRelay('us-a')])
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS })
  const meeting = await net.meeting()
  meetingId = meeting.id
  const open = async (identity: string, role: 'host' | 'attendee'): Promise<Tab> => {
    const tab = await browser.newPage()
    // The example page without a #token starts nothing of its own: the tab is the control plane's origin, under its CSP.
    await tab.goto(`${net.baseUrl}${CALL_PATH}`)
    return { tab, ...await run<{ participantId: string; urls: string[] }>(tab, JOIN, { token: await meeting.token(identity, role), sdk: CALL_SDK_PATH }) }
  }
  ana = await open('ana', 'host')
  ben = await open('ben', 'attendee')
  tabs = [ana.tab, ben.tab]
  await run(ben.tab, LINK, { remote: ana.participantId, offerer: false })
  await run(ana.tab, LINK, { remote: ben.participantId, offerer: true })
})

t.teardown(async () => {
  await browser?.close()
  await net?.close()
})

/** Resolves once `n` more echoes arrived at the offering tab than it had when called. */
async function echoes(n: number, timeout = 15_000): Promise<void> {
  const have = await echoCount(ana.tab)
  // A function, not a string: a string predicate is evaluated inside the page, which its CSP refuses.
  await ana.tab.waitForFunction((want) => (window as unknown as { probe: { echoes: number[] } }).probe.echoes.length >= want, have + n, { polling: 20, timeout })
}

/** Resolves once both tabs' selected pairs satisfy `ok` (read every 50 ms), rejects after `timeout`. */
async function routesBecome(ok: (r: Route) => boolean, timeout = 15_000): Promise<Route[]> {
  const until = performance.now() + timeout
  for (;;) {
    const routes = await Promise.all(tabs.map(route))
    if (routes.every(ok)) return routes
    if (performance.now() > until) throw new Error(`the selected pairs did not change: ${JSON.stringify(routes)}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** The offering tab's longest silence between echoes since `from` (its performance.now), counting from `from`, and when it ended. */
async function silenceSince(from: number): Promise<{ gap: number; endedAfter: number }> {
  return run(ana.tab, `({ from }) => {
    let gap = 0
    let endedAfter = 0
    let last = from
    for (const at of window.probe.echoes) {
      if (at < from) continue
      if (at - last > gap) { gap = at - last; endedAfter = at - from }
      last = at
    }
    return { gap, endedAfter }
  }`, { from })
}

t.test('a SIGKILLed relay: both tabs carry on through the other relay of the region, never through another region\'s', CHROMIUM_ONLY, async (t) => {
  const euA = net.relays.get('eu-a')!.udp
  t.same([ana.urls, ben.urls], [turnUrls(euA), turnUrls(euA)], 'each tab was handed eu-a, the only live relay of eu-central')
  await echoes(10, 20_000)
  t.same(await routesBecome((r) => r.local !== undefined), [relayPair(RELAY_IPS['eu-a']), relayPair(RELAY_IPS['eu-a'])], "each tab's selected pair is relay/relay at eu-a")

  const b = await net.startRelay('eu-b')
  const killedAt: number = await ana.tab.evaluate('performance.now()')
  const killedAtWall = Date.now()
  await net.kill('eu-a')
  const atB = await routesBecome((r) => r.local !== RELAY_IPS['eu-a'])
  await echoes(10)
  const { gap, endedAfter } = await silenceSince(killedAt)
  t.pass(`longest silence ${Math.round(gap)} ms, data flowing again ${Math.round(endedAfter)} ms after SIGKILL (heartbeat TTL ${net.timing.heartbeatTtlMs} ms, fleet watch ${net.timing.fleetWatchMs} ms)`)
  t.ok(gap < 10_000, 'within a few seconds of the kill (TTL + fleet watch + an ICE restart)')
  const states = await Promise.all(tabs.map((tab) => tab.evaluate('window.probe.states') as Promise<Array<[number, string]>>))
  t.comment(`after SIGKILL: ${states.map((s, i) => `${['ana', 'ben'][i]}: ${s.filter(([at]) => at >= killedAtWall).map(([at, what]) => `${what} +${at - killedAtWall} ms`).join(', ')}`).join('; ')}`)

  t.same(atB, [relayPair(RELAY_IPS['eu-b']), relayPair(RELAY_IPS['eu-b'])], "each tab's selected pair is relay/relay at eu-b's address, not us-east's")
  t.same(await Promise.all(tabs.map(route)), atB, 'and stays there while data flows')
  t.same(await Promise.all(tabs.map(restartsOf)), [0, 1].map(() => [{ reason: 'relay-lost', relayId: 'eu-a', urls: turnUrls(b.udp) }]), 'each tab was sent one ice-restart naming the dead relay, with eu-b only')
  t.same(await Promise.all(tabs.map(errorsOf)), [[], []], 'and no tab saw an error')

  const audit = await net.state.audit.read(meetingId)
  const allocatedBy = [...new Set(audit.filter((e) => e.kind === 'allocation' && e.allow).map((e) => e.relayId))].sort()
  t.same(allocatedBy, ['eu-a', 'eu-b'], 'the tabs allocated on eu-a, then eu-b, and on no other relay')
  t.same(audit.filter((e) => e.kind === 'relay-failover').map((e) => [e.participantId, e.relayId, e.reason, e.allow, e.detail]).sort(), [
    [ana.participantId, 'eu-a', 'relay_lost', true, 'to eu-b'], [ben.participantId, 'eu-a', 'relay_lost', true, 'to eu-b'],
  ].sort(), 'the audit stream shows both moves')
})

t.test('a drain moves both tabs to another relay of the region with no gap over 1 s', CHROMIUM_ONLY, async (t) => {
  const a = await net.startRelay('eu-a')
  await echoes(5)
  const drainedAt: number = await ana.tab.evaluate('performance.now()')
  await net.drain('eu-b')
  t.teardown(() => net.undrain('eu-b'))
  const atA = await routesBecome((r) => r.local === RELAY_IPS['eu-a'])
  await echoes(10)
  const { gap } = await silenceSince(drainedAt)
  t.ok(gap < 1000, `longest silence while moving off the draining relay: ${Math.round(gap)} ms`)
  t.same(atA, [relayPair(RELAY_IPS['eu-a']), relayPair(RELAY_IPS['eu-a'])], "each tab's selected pair is relay/relay at the restarted eu-a")
  const drained = (await Promise.all(tabs.map(restartsOf))).map((rs) => rs.filter((r) => r.reason === 'relay-draining'))
  t.same(drained, [0, 1].map(() => [{ reason: 'relay-draining', relayId: 'eu-b', urls: turnUrls(a.udp) }]), 'one ice-restart each, naming the draining relay, with eu-a only')
})

t.test('with the last relay of the allowed set gone: a coded refusal in each tab, and no relay of another region', CHROMIUM_ONLY, async (t) => {
  await net.kill('eu-b')
  await net.gone('eu-b') // let it leave first, so eu-a is the last
  const before = await Promise.all(tabs.map(restartsOf))
  await net.kill('eu-a')
  for (const tab of tabs) {
    await tab.waitForFunction(() => (window as unknown as { probe: { errors: string[] } }).probe.errors.includes('SR_NO_RELAY_AVAILABLE'), undefined, { polling: 20, timeout: 15_000 })
  }
  t.pass('each tab is told no relay of the set is left (SR_NO_RELAY_AVAILABLE)')
  t.same(await Promise.all(tabs.map(restartsOf)), before, 'and is sent no ICE servers at all: us-east is live but outside the set')
  const routes = await Promise.all(tabs.map(route))
  t.ok(routes.every((r) => r.local !== RELAY_IPS['us-a'] && r.remote !== RELAY_IPS['us-a']), `no tab's pair is at us-east's relay (${JSON.stringify(routes)})`)
  const audit = await net.state.audit.read(meetingId)
  t.same(audit.filter((e) => e.kind === 'relay-failover' && !e.allow).map((e) => [e.relayId, e.reason, e.detail]), [0, 1].map(() => ['eu-a', 'relay_lost', 'no relay of the allowed set left']), 'the refusal is audited')
  t.ok(audit.filter((e) => e.kind === 'allocation' && e.allow).every((e) => e.relayId === 'eu-a' || e.relayId === 'eu-b'), 'no relay outside eu-central ever allocated for the tabs')
  t.ok(audit.filter((e) => e.kind === 'relay-issued' && e.allow).every((e) => e.relayId === 'eu-a' || e.relayId === 'eu-b'), 'nor was ever issued')
})
