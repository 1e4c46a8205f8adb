/**
 * Headless Chromium tabs in a failover call (issue 12), for the e2e tests: each tab is the
 * control plane's `/examples/call` page opened without a token (so it starts nothing of
 * its own and runs under the page's strict CSP), into which the test imports the published
 * SDK bundle the control plane serves beside it and joins with a participant token.
 */
import { existsSync } from 'node:fs'

import type { Browser, Page } from 'playwright-core'

import { CALL_PATH, CALL_SDK_PATH } from '../../../../control-plane/examples/call-page.js'

export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => existsSync(p))
export const ARGS = [
  '--headless', '--no-sandbox', '--allow-loopback-in-peer-connection', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
  // Two tabs of one headless browser: neither may have its probe timer throttled as a background tab.
  '--disable-background-timer-throttling', '--disable-renderer-backgrounding', '--disable-backgrounding-occluded-windows',
]

/**
 * In-page code, given as strings so the test's transpiler adds no helpers to it. `JOIN`
 * imports the SDK from the control plane and joins; `LINK` wires a PeerLink to the other
 * peer: the offerer opens the `probe` channel and sends a number every 20 ms, the answerer
 * echoes (with `negotiated`, the channel is pre-negotiated as id 1 on both sides, as
 * NodePeerLink's are, and opened by either; a link that rebuilt its connection re-creates
 * it and hands it over as `datachannel`); echo arrival times (performance.now) are kept in `window.probe.echoes`. Each tab
 * also notes (wall clock) its ICE restarts and its ICE transport's pair changes: after a
 * kill the new pair is often found over a second before data flows again (a data
 * channel's SCTP retransmits on its own backoff timer, blind to the path change).
 */
export const JOIN = `async ({ token, sdk }) => {
  const { SignalClient, PeerLink } = await import(location.origin + sdk)
  const client = SignalClient.connect(location.origin.replace(/^http/, 'ws') + '/v1/signal', { WebSocket, token })
  const probe = window.probe = { PeerLink, client, echoes: [], restarts: [], errors: [] }
  client.on('ice-restart', (m) => probe.restarts.push({ reason: m.reason, relayId: m.relayId, urls: m.iceServers.flatMap((s) => s.urls) }))
  client.on('error', (m) => probe.errors.push(m.code))
  const joined = await client.joined
  if (joined.kind !== 'welcome') throw new Error('not welcomed: ' + joined.kind)
  return { participantId: joined.welcome.participantId, urls: joined.welcome.iceServers.flatMap((s) => s.urls) }
}`

export const LINK = `({ remote, offerer, negotiated }) => {
  const probe = window.probe
  const link = probe.link = new probe.PeerLink(probe.client, { remote })
  link.on('error', (err) => probe.errors.push(err.message))
  probe.states = []
  link.on('ice-restart', (reason) => probe.states.push([Date.now(), 'ice-restart']))
  link.on('state', (state) => probe.states.push([Date.now(), 'pc ' + state]))
  const signaling = (pc) => {
    pc.addEventListener('signalingstatechange', () => probe.states.push([Date.now(), 'sig ' + pc.signalingState]))
    pc.addEventListener('iceconnectionstatechange', () => probe.states.push([Date.now(), 'ice ' + pc.iceConnectionState]))
  }
  signaling(link.pc)
  link.on('rebuilt', (reason) => { probe.states.push([Date.now(), 'rebuilt ' + reason]); signaling(link.pc) })
  probe.client.on('signal', (m) => { if (m.kind !== 'ice') probe.states.push([Date.now(), 'got ' + m.kind]) })
  let watched
  const watch = () => {
    const ice = link.pc.sctp && link.pc.sctp.transport.iceTransport
    if (!ice || watched === ice) return
    watched = ice
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
  // The remote's channels, and after a rebuild (a remote that cannot restart ICE) our own, re-created.
  link.on('datachannel', use)
  if (negotiated) use(link.createDataChannel('probe', { negotiated: true, id: 1 }))
  else if (offerer) use(link.createDataChannel('probe'))
}`

/** The selected candidate pair of the tab's peer connection, as Chromium's stats report it. */
export const ROUTE = `async () => {
  const stats = []
  ;(await window.probe.link.pc.getStats()).forEach((s) => stats.push(s))
  const transport = stats.find((s) => s.type === 'transport' && s.selectedCandidatePairId)
  const pair = stats.find((s) => transport && s.id === transport.selectedCandidatePairId)
  const local = stats.find((s) => pair && s.id === pair.localCandidateId)
  const remote = stats.find((s) => pair && s.id === pair.remoteCandidateId)
  return { local: local && local.address, remote: remote && remote.address, localType: local && local.candidateType, remoteType: remote && remote.candidateType }
}`

export interface Route { local?: string; remote?: string; localType?: string; remoteType?: string }
export interface Restart { reason: string; relayId: string; urls: string[] }
export interface Tab { tab: Page; participantId: string; urls: string[] }

export const CHROMIUM_ONLY = { skip: CHROMIUM ? false : 'no Chromium on this machine' }

/** Runs one of the in-page functions above in the tab with a JSON argument, resolving to its (awaited) result. */
export const run = <R>(tab: Page, fn: string, arg: unknown = {}): Promise<R> => tab.evaluate(`(${fn})(${JSON.stringify(arg)})`) as Promise<R>
export const route = (tab: Page): Promise<Route> => run(tab, ROUTE)
export const restartsOf = (tab: Page): Promise<Restart[]> => tab.evaluate('window.probe.restarts')
export const errorsOf = (tab: Page): Promise<string[]> => tab.evaluate('window.probe.errors')
export const statesOf = (tab: Page): Promise<Array<[number, string]>> => tab.evaluate('window.probe.states')
export const relayPair = (ip: string): Route => ({ local: ip, remote: ip, localType: 'relay', remoteType: 'relay' })
export const turnUrls = (udp: string): string[] => [`turn:${udp}?transport=udp`, `turn:${udp}?transport=tcp`]

/** A new tab on the control plane at `baseUrl`, joined with `token` through the SDK it serves. */
export async function openTab(browser: Browser, baseUrl: string, token: string): Promise<Tab> {
  const tab = await browser.newPage()
  await tab.goto(`${baseUrl}${CALL_PATH}`)
  return { tab, ...await run<{ participantId: string; urls: string[] }>(tab, JOIN, { token, sdk: CALL_SDK_PATH }) }
}

/** Resolves once `n` more echoes arrived at the offering tab than it had when called. */
export async function echoes(tab: Page, n: number, timeout = 15_000): Promise<void> {
  const have: number = await tab.evaluate('window.probe.echoes.length')
  // A function, not a string: a string predicate is evaluated inside the page, which its CSP refuses.
  await tab.waitForFunction((want) => (window as unknown as { probe: { echoes: number[] } }).probe.echoes.length >= want, have + n, { polling: 20, timeout })
}

/** Resolves once both tabs' selected pairs satisfy `ok` (read every 50 ms), rejects after `timeout`. */
export async function routesBecome(tabs: readonly Page[], ok: (r: Route) => boolean, timeout = 15_000): Promise<Route[]> {
  const until = performance.now() + timeout
  for (;;) {
    const routes = await Promise.all(tabs.map(route))
    if (routes.every(ok)) return routes
    if (performance.now() > until) throw new Error(`the selected pairs did not change: ${JSON.stringify(routes)}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** The offering tab's longest silence between echoes since `from` (its performance.now), counting from `from`, and when it ended. */
export async function silenceSince(tab: Page, from: number): Promise<{ gap: number; endedAfter: number }> {
  return run(tab, `({ from }) => {
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

