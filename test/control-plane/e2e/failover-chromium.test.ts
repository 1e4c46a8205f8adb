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
import { chromium, type Browser, type Page } from 'playwright-core'
import t from 'tap'

import { buildClientBundle } from '../../../control-plane/client-bundle.js'
import { FailoverNetwork, RELAY_IPS } from '../../../loadtest/failover-harness.js'
import {
  ARGS, CHROMIUM, CHROMIUM_ONLY, LINK, echoes, errorsOf, openTab, relayPair, restartsOf, route, routesBecome, run, silenceSince, statesOf, turnUrls, type Tab,
} from './support/chromium-tab.js'

let net: FailoverNetwork
let browser: Browser
let meetingId: string
let ana: Tab
let ben: Tab
let tabs: Page[]

t.before(async () => {
  if (!CHROMIUM) return
  await buildClientBundle()
  net = await FailoverNetwork.start()
  await Promise.all([net.startRelay('eu-a'), net.startRelay('us-a')])
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS })
  const meeting = await net.meeting()
  meetingId = meeting.id
  ana = await openTab(browser, net.baseUrl, await meeting.token('ana', 'host'))
  ben = await openTab(browser, net.baseUrl, await meeting.token('ben', 'attendee'))
  tabs = [ana.tab, ben.tab]
  await run(ben.tab, LINK, { remote: ana.participantId, offerer: false })
  await run(ana.tab, LINK, { remote: ben.participantId, offerer: true })
})

t.teardown(async () => {
  await browser?.close()
  await net?.close()
})

t.test('a SIGKILLed relay: both tabs carry on through the other relay of the region, never through another region\'s', CHROMIUM_ONLY, async (t) => {
  const euA = net.relays.get('eu-a')!.udp
  t.same([ana.urls, ben.urls], [turnUrls(euA), turnUrls(euA)], 'each tab was handed eu-a, the only live relay of eu-central')
  await echoes(ana.tab, 10, 20_000)
  t.same(await routesBecome(tabs, (r) => r.local !== undefined), [relayPair(RELAY_IPS['eu-a']), relayPair(RELAY_IPS['eu-a'])], "each tab's selected pair is relay/relay at eu-a")

  const b = await net.startRelay('eu-b')
  const killedAt: number = await ana.tab.evaluate('performance.now()')
  const killedAtWall = Date.now()
  await net.kill('eu-a')
  const atB = await routesBecome(tabs, (r) => r.local !== RELAY_IPS['eu-a'])
  await echoes(ana.tab, 10)
  const { gap, endedAfter } = await silenceSince(ana.tab, killedAt)
  t.pass(`longest silence ${Math.round(gap)} ms, data flowing again ${Math.round(endedAfter)} ms after SIGKILL (heartbeat TTL ${net.timing.heartbeatTtlMs} ms, fleet watch ${net.timing.fleetWatchMs} ms)`)
  t.ok(gap < 10_000, 'within a few seconds of the kill (TTL + fleet watch + an ICE restart)')
  const states = await Promise.all(tabs.map(statesOf))
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
  await echoes(ana.tab, 5)
  const drainedAt: number = await ana.tab.evaluate('performance.now()')
  await net.drain('eu-b')
  t.teardown(() => net.undrain('eu-b'))
  const atA = await routesBecome(tabs, (r) => r.local === RELAY_IPS['eu-a'])
  await echoes(ana.tab, 10)
  const { gap } = await silenceSince(ana.tab, drainedAt)
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
