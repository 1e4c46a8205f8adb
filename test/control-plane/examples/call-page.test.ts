/**
 * The example call page as a tenant's developer would run it: a real control-plane node
 * of eu-central serving `/examples/call` with the published SDK bundle, a real relay of
 * the region in its fleet, and two headless Chromium tabs that each hold a participant
 * token. The tabs must hold a call (a data channel) through the region's relay, under the
 * page's strict CSP (`default-src 'self'`, no 'unsafe-eval', no 'unsafe-inline'), with no
 * CSP violation reported.
 */
import { existsSync } from 'node:fs'

import { chromium, type Page } from 'playwright-core'
import t from 'tap'

import { buildClientBundle } from '../../../control-plane/client-bundle.js'
import { startRelayNode } from '../../../relay/relay-node.js'
import { dropPrefix, network } from '../app/fixture.js'
import { startNode } from '../signaling/support.js'

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => existsSync(p))

t.test('two Chromium tabs hold a call through the region relay on the example page, under a strict CSP', { skip: CHROMIUM ? false : 'no Chromium on this machine' }, async (t) => {
  await buildClientBundle()
  const net = network()
  const acme = net.config.tenantById('acme')!
  const eu = await startNode(net, 'eu-central', 'eu-cp-example')
  t.teardown(async () => {
    await dropPrefix(eu.state, net.prefix)
    await eu.close()
  })
  const relay = await startRelayNode({ listen: ['127.0.0.1:0'], secrets: [net.config.regionById('eu-central')!.relaySecrets[0]!.value], allowPeers: ['127.0.0.0/8'] })
  t.teardown(() => relay.close())
  let allocations = 0
  relay.server.events.on('allocation-created', () => { allocations += 1 })
  const udp = relay.addresses.find((a) => a.transport === 'udp')!
  await eu.state.fleet.heartbeat({
    id: 'eu-relay-example', region: 'eu-central', udp: [`127.0.0.1:${udp.port}`], tcp: [], capacity: 100, version: 'test', startedAt: Date.now(),
    load: { allocations: 0, packetsPerSecond: 0, bytesPerSecond: 0, cpu: 0 }, draining: false, sentAt: Date.now(),
  }, 60_000)

  const base = eu.url.replace(/^ws/, 'http').replace(/\/v1\/signal$/, '')
  const page = await fetch(`${base}/examples/call`)
  const csp = page.headers.get('content-security-policy') ?? ''
  t.match(csp, /default-src 'self'/, 'the page is served with default-src self')
  t.notMatch(csp, /unsafe-eval|unsafe-inline/, 'and neither unsafe-eval nor unsafe-inline')
  t.equal((await fetch(`${base}/examples/call/sovereign-client.js`)).status, 200, 'the SDK bundle is served beside it')

  const meeting = await eu.app.sovereign.meetings.create(acme, { waitingRoom: false, passcodeRequired: false })
  const mint = async (identity: string) => (await eu.app.sovereign.meetings.mintToken(meeting.id, acme, { identity, role: identity === 'ana' ? 'host' : 'attendee', displayName: identity })).token

  const browser = await chromium.launch({ executablePath: CHROMIUM!, args: ['--no-sandbox', '--headless', '--allow-loopback-in-peer-connection', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] })
  t.teardown(() => browser.close())
  const violations: string[] = []
  const open = async (identity: string): Promise<Page> => {
    const tab = await browser.newPage()
    tab.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) violations.push(`${identity} console: ${m.text()}`) })
    tab.on('pageerror', (err) => violations.push(`${identity} page error: ${err.message}`))
    // Injected by the browser itself (not subject to the page's CSP): records every violation report.
    await tab.addInitScript(() => {
      const w = window as unknown as { violations: string[] }
      w.violations = []
      document.addEventListener('securitypolicyviolation', (e) => w.violations.push(`${e.violatedDirective} ${e.blockedURI}`))
    })
    await tab.goto(`${base}/examples/call#token=${await mint(identity)}`)
    return tab
  }
  const ana = await open('ana')
  await ana.waitForFunction(() => document.getElementById('signaling')?.textContent === 'welcome', undefined, { timeout: 15_000 })
  const ben = await open('ben')

  for (const tab of [ana, ben]) await tab.waitForFunction(() => document.getElementById('call')?.textContent === 'open', undefined, { timeout: 20_000 })
  t.pass('the data channel is open in both tabs')
  await ana.fill('#text', 'hello from ana')
  await ana.click('#send button')
  await ben.waitForFunction(() => Array.from(document.querySelectorAll('#log li')).some((li) => li.textContent === 'peer: hello from ana'), undefined, { timeout: 10_000 })
  t.pass('a message from one tab reaches the other')

  for (const [name, tab] of [['ana', ana], ['ben', ben]] as const) {
    await tab.waitForFunction(() => document.getElementById('route')?.textContent !== '—', undefined, { timeout: 10_000 })
    t.match(await tab.textContent('#route'), new RegExp(`^relay 127\\.0\\.0\\.1:\\d+ \\(udp\\)$`), `${name}'s selected candidate is a relay candidate of the region's relay`)
  }
  t.ok(allocations >= 2, `the region's relay allocated for both tabs (${allocations})`)

  const reported = await Promise.all([ana, ben].map((tab) => tab.evaluate(() => (window as unknown as { violations: string[] }).violations)))
  t.same([...violations, ...reported.flat()], [], 'no CSP violation was reported')

  // The check above can fail: the same page does refuse eval, so the SDK ran without it. (A string
  // timer is compiled by the page itself; code evaluated over CDP would be exempt from its CSP.)
  await ana.evaluate(() => {
    const w = window as unknown as { evaluated?: boolean }
    ;(setTimeout as unknown as (code: string, ms: number) => void)('window.evaluated = true', 0)
    return new Promise((resolve) => setTimeout(() => resolve(w.evaluated ?? false), 200))
  })
  t.equal(await ana.evaluate(() => (window as unknown as { evaluated?: boolean }).evaluated ?? false), false, 'the page refuses code generation from strings')
  t.match(await ana.evaluate(() => (window as unknown as { violations: string[] }).violations), [/script-src|default-src/], 'and reports it as a violation')
})
