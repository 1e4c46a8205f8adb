/**
 * The dashboard in a real browser: headless Debian Chromium (playwright-core), loopback
 * only, against a real network — three regions' relays heartbeating into Redis, the
 * eu-central control plane, and a scripted meeting: a host from DE, an attendee from FR,
 * an attendee from CN refused by the meeting's policy, a credential used from CN refused
 * by a relay, and a peer refused by a relay. The page must show what happened, live.
 *
 * UPDATE_SCREENSHOT=1 also writes the screenshot to deploy/dashboard.png.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { randomBytes } from 'node:crypto'

import { chromium, type BrowserContext, type Page } from 'playwright-core'
import t from 'tap'

import { generateApiKey, hashApiKey } from '../../../config/api-key.js'
import { parseConfig } from '../../../config/load-config.js'
import { SignalClient } from '../../../control-plane/client/signal-client.js'
import { signalUrl } from '../../../control-plane/plugins/signaling.js'
import { GeoLocator } from '../../../geo/lookup.js'
import { startRegionRelay, type RegionRelay } from '../../../relay/region/region-relay.js'
import { StateRegistry } from '../../../state/state-registry.js'
import { TurnClient } from '../../support/turn-client.js'
import { dropPrefix, REDIS_URL, type Network } from '../app/fixture.js'
import { socketFrom } from '../signaling/support.js'
import { decodePng, distinctColours } from './png.js'
import { listenRegion, within, type ListeningRegion } from './support.js'

const CHROMIUM = '/usr/bin/chromium'
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
const VIEWPORT = { width: 1600, height: 1000 }
const WAIT = { timeout: 8000 }

const adminKey = generateApiKey('admin')
const tenantKey = generateApiKey('test')
const tokenSecret = `acme-${randomBytes(12).toString('hex')}`
const OVERRIDES = [{ cidr: '127.1.0.0/16', country: 'DE' }, { cidr: '127.4.0.0/16', country: 'FR' }, { cidr: '127.5.0.0/16', country: 'CN' }]
const region = (id: string, country: string, loc: string, port: number, relays: string[]) => `
  - id: ${id}
    country: ${country}
    location: ${loc}
    controlPlane: { url: "http://127.0.0.1:${port}" }
    redis: { url: "${REDIS_URL}" }
    relaySecrets: [ { id: ${id.replace(/-/g, '')}1, value: "${id}-dashboard-test-relay-secret" } ]
    relays: [${relays.map((r) => `{ id: ${r}, listen: ["127.0.0.1:0"] }`).join(', ')}]`
const text = `version: 1
regions:${region('eu-central', 'DE', '{ lat: 50.1, lon: 8.7 }', 18080, ['eu-c1', 'eu-c2'])}${region('eu-north', 'SE', '{ lat: 59.3, lon: 18.1 }', 18081, ['eu-n1'])}${region('us-east', 'US', '{ lat: 38.9, lon: -77.0 }', 18082, ['us-e1'])}
geo:
  watch: false
  overrides:
${OVERRIDES.map((o) => `    - { cidr: ${o.cidr}, country: ${o.country} }`).join('\n')}
relay: { allowPeers: [127.0.0.0/8] }
tenants:
  - id: acme
    apiKeys: [{ id: acme-1, sha256: ${hashApiKey(tenantKey)} }]
    tokenSecret: ${tokenSecret}
    allowedRegions: [eu-central, eu-north, us-east]
    defaultRegion: eu-central
    allowedJurisdictions: [EU]
    security: { waitingRoom: false, passcodeRequired: false }
admin: { apiKeys: [ { id: ops-1, sha256: ${hashApiKey(adminKey)} } ] }
`
const config = parseConfig({ source: 'dashboard browser test', text }, { env: {} })
const prefix = `tdash${randomBytes(5).toString('hex')}`
const net = { config, prefix } as unknown as Network
const acme = config.tenantById('acme')!
const geo = new GeoLocator({ database: null, overrides: OVERRIDES })
const HAVE_CHROMIUM = existsSync(CHROMIUM)

// One browser for the file (a launch costs seconds); each test gets its own tab.
let context: BrowserContext
if (HAVE_CHROMIUM) {
  t.before(async () => {
    const profile = mkdtempSync(join(tmpdir(), 'sr-dashboard-chromium-'))
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ARGS, headless: true, viewport: VIEWPORT })
    t.teardown(async () => {
      await context.close()
      rmSync(profile, { recursive: true, force: true })
    })
  })
}
const SKIP = HAVE_CHROMIUM ? false : `${CHROMIUM} is absent: the browser test needs Debian's chromium package`

t.test('the dashboard shows a scripted meeting in headless Chromium, live', { skip: SKIP }, async (t) => {
  // ---- the network -------------------------------------------------------------------
  const relays: RegionRelay[] = []
  t.teardown(async () => {
    await Promise.all(relays.map((r) => r.close()))
  })
  for (const [r, id] of [['eu-central', 'eu-c1'], ['eu-central', 'eu-c2'], ['eu-north', 'eu-n1'], ['us-east', 'us-e1']] as const) {
    const relay = await startRegionRelay({ config, region: r, id, metrics: null, statePrefix: prefix, heartbeatMs: 200 })
    await relay.heartbeat.beatNow()
    relays.push(relay)
  }
  const others = new StateRegistry({ regions: config.regions, prefix })
  t.teardown(() => others.close())
  await Promise.all(['eu-north', 'us-east'].map((r) => others.region(r).ready()))
  const eu: ListeningRegion = await listenRegion(net, 'eu-central', {
    geo, liveRelaysOf: (r) => others.region(r).fleet.liveRelays(), dashboard: { intervalMs: 250 }, logger: { level: 'warn' },
  })
  t.teardown(async () => {
    await dropPrefix(eu.state, prefix)
    await eu.close()
  })
  const meetings = eu.app.sovereign.meetings
  const clients: SignalClient[] = []
  const turns: TurnClient[] = []
  t.teardown(async () => {
    await Promise.all(turns.map((c) => c.close()))
    await Promise.all(clients.map((c) => c.close()))
  })
  const joinAs = async (meetingId: string, identity: string, from: string, role: 'host' | 'attendee' = 'attendee') => {
    const { token } = await meetings.mintToken(meetingId, acme, { identity, role, displayName: identity })
    const client = SignalClient.connect(signalUrl(eu.url), { WebSocket: socketFrom(from), token })
    clients.push(client)
    return { client, result: await within(client.joined, `${identity} gets an answer to join`) }
  }
  const turnFrom = async (from: string, server: { urls: readonly string[]; username?: string; credential?: string }) => {
    const url = server.urls.find((u) => u.includes('transport=udp'))!
    const [host, port] = url.slice('turn:'.length).split('?')[0]!.split(':')
    const c = await TurnClient.connect({ transport: 'udp', host: host!, port: Number(port), username: server.username!, password: server.credential!, localAddress: from })
    turns.push(c)
    return c
  }

  // ---- the scripted meeting ----------------------------------------------------------
  const board = await meetings.create(acme, { title: 'Board sync', attendeePolicy: { mode: 'block', countries: ['CN'] } })
  const payroll = await meetings.create(acme, { title: 'EU payroll review', residencyMode: 'jurisdiction' })
  const alice = await joinAs(board.id, 'alice@acme', '127.1.0.2', 'host')
  if (alice.result.kind !== 'welcome') throw new Error(`alice was not admitted: ${JSON.stringify(alice.result)}`)
  const bob = await joinAs(board.id, 'bob@acme', '127.4.0.2')
  t.equal(bob.result.kind, 'welcome', 'bob (FR) is admitted')
  const mallory = await joinAs(board.id, 'mallory@acme', '127.5.0.2')
  t.match(mallory.result, { kind: 'denied', code: 'SR_COUNTRY_FORBIDDEN' }, 'mallory (CN) is refused by the meeting policy')
  const hana = await joinAs(payroll.id, 'hana@acme', '127.1.0.7', 'host')
  t.equal(hana.result.kind, 'welcome', `the payroll host is admitted (${JSON.stringify(hana.result).slice(0, 200)})`)

  // alice allocates on the relay she was handed; her credential used from CN is refused; so is a stranger as peer
  const server = alice.result.welcome.iceServers[0]!
  const carrierIndex = relays.findIndex((r) => server.urls.some((u) => r.node.addresses.some((a) => a.transport === 'udp' && u.includes(`:${a.port}?`))))
  const carrier = relays[carrierIndex]!
  const carrierId = ['eu-c1', 'eu-c2', 'eu-n1', 'us-e1'][carrierIndex]!
  const aliceTurn = await turnFrom('127.1.0.2', server)
  await aliceTurn.allocate()
  await t.rejects(aliceTurn.createPermission({ family: 4, address: '127.9.9.9', port: 5000 }), /TURN error 403/, 'a peer outside the meeting is refused by the relay')
  const stolen = await turnFrom('127.5.0.9', server)
  await t.rejects(stolen.allocate(), /TURN error 403/, "alice's credential used from CN is refused by the relay")
  await carrier.audit.flush()

  // ---- the browser -------------------------------------------------------------------
  const page: Page = await context.newPage()
  t.teardown(() => page.close())
  const cspViolations: string[] = []
  page.on('console', (m) => { if (/Content.Security.Policy|Refused to/i.test(m.text())) cspViolations.push(m.text()) })
  page.on('pageerror', (e) => cspViolations.push(`page error: ${e.message}`))
  const requests: string[] = []
  page.on('request', (r) => requests.push(r.url()))

  await page.goto(`${eu.url}/dashboard#key=${encodeURIComponent(adminKey)}`)
  await page.locator('#conn[data-state="live"]').waitFor(WAIT)
  t.notMatch(page.url(), 'key=', 'the key left the address bar once read')
  t.ok(requests.every((u) => u.startsWith(eu.url) && !u.includes(adminKey)), 'every request went to the control plane, none carried the key')
  await page.evaluate(() => { (window as unknown as { marker: number }).marker = 42 })

  // regions and relays
  for (const [r, ids] of [['eu-central', ['eu-c1', 'eu-c2']], ['eu-north', ['eu-n1']], ['us-east', ['us-e1']]] as const) {
    const card = page.locator(`[data-region="${r}"]`)
    await card.waitFor(WAIT)
    for (const id of ids) await card.locator(`[data-relay="${id}"][data-health="ok"]`).waitFor(WAIT)
  }
  t.match(await page.locator('[data-region="eu-central"] .region-row').innerText(), /HERE/, 'this region is marked')
  t.match(await page.locator('#scope').innerText(), 'meetings homed in eu-central', 'the page says what the meetings cover')

  // the meeting, its region and mode, participants by country, who is carried by which relay
  const card = page.locator(`article[data-meeting="${board.id}"]`)
  await card.waitFor(WAIT)
  t.match(await card.locator('[data-field="home"]').innerText(), 'eu-central')
  t.equal(await card.locator('[data-field="mode"]').innerText(), 'region')
  t.equal(await page.locator(`article[data-meeting="${payroll.id}"] [data-field="mode"]`).innerText(), 'jurisdiction')
  await card.locator('[data-participant="alice@acme"] [data-field="country"]:text-is("DE")').waitFor(WAIT)
  t.equal(await card.locator('[data-participant="bob@acme"] [data-field="country"]').innerText(), 'FR')
  t.equal(await card.locator('[data-participant="mallory@acme"]').count(), 0, 'the refused attendee is not a participant')
  t.same(await card.locator('[data-field="countries"] [data-country]').evaluateAll((els) => els.map((e) => e.textContent)), ['DE1', 'FR1'])
  await card.locator(`[data-participant="alice@acme"] [data-allocated="${carrierId}"]`).waitFor(WAIT)
  t.pass(`alice is shown carried by ${carrierId}`)
  await card.locator('[data-field="refusals"]').waitFor(WAIT)

  // the feed, refusals highlighted
  const feed = page.locator('#feed')
  await feed.locator('li[data-tone="refusal"][data-kind="admission"][data-reason="country_blocked"]').waitFor(WAIT)
  await feed.locator('li[data-tone="refusal"][data-kind="allocation"][data-reason="country_blocked"]').waitFor(WAIT)
  await feed.locator('li[data-tone="refusal"][data-kind="peer"][data-reason="peer_not_in_meeting"]').waitFor(WAIT)
  const refusal = feed.locator('li[data-tone="refusal"]').first()
  t.equal(await refusal.evaluate((el) => getComputedStyle(el).borderLeftColor), 'rgb(255, 92, 92)', 'a refusal is marked red')
  t.equal(await refusal.locator('.v').innerText(), 'DENY')
  const allowed = feed.locator('li[data-tone="allow"]').first()
  t.not(await allowed.evaluate((el) => getComputedStyle(el).borderLeftColor), 'rgb(255, 92, 92)', 'an allowed decision is not')
  await page.locator('#filter-refusals').click()
  t.equal(await allowed.isVisible(), false, 'the refusals filter hides allowed decisions')
  t.equal(await refusal.isVisible(), true)
  await page.locator('#filter-all').click()

  // a live update, no reload
  const carol = await joinAs(board.id, 'carol@acme', '127.4.0.3')
  t.equal(carol.result.kind, 'welcome')
  await card.locator('[data-participant="carol@acme"]').waitFor(WAIT)
  await page.waitForFunction((id) => document.querySelector(`article[data-meeting="${id}"] [data-field="countries"] [data-country="FR"]`)?.textContent === 'FR2', board.id, WAIT)
  t.pass('the FR count went to 2')
  await feed.locator('li.new[data-tone="allow"][data-kind="admission"]').first().waitFor(WAIT)
  t.equal(await page.evaluate(() => (window as unknown as { marker?: number }).marker), 42, 'the page was updated in place, not reloaded')
  t.same(cspViolations, [], 'no CSP violation and no script error')

  // the screenshot: a PNG of the viewport, not blank
  await page.mouse.move(0, 0)
  // animations finished: the new-entry flash is not in the picture
  const shot = await page.screenshot({ type: 'png', animations: 'disabled' })
  const png = decodePng(shot)
  t.same([png.width, png.height], [VIEWPORT.width, VIEWPORT.height], 'the screenshot is the viewport')
  const colours = distinctColours(png)
  t.ok(colours > 50, `the screenshot is not blank (${colours} distinct colours)`)
  if (process.env.UPDATE_SCREENSHOT === '1') writeFileSync(join(ROOT, 'deploy/dashboard.png'), shot)
})

t.test('a wrong key in the fragment shows a clear error and the key form', { skip: SKIP }, async (t) => {
  const eu = await listenRegion({ config, prefix } as unknown as Network, 'eu-central', { geo })
  t.teardown(() => eu.close())
  const page = await context.newPage()
  t.teardown(() => page.close())
  await page.goto(`${eu.url}/dashboard#key=sk_admin_wrong`)
  await page.locator('#login:not([hidden])').waitFor(WAIT)
  t.match(await page.locator('#login-error').innerText(), /unknown admin key.*4401/, 'the error says why and with which close code')
  t.equal(await page.locator('#conn').getAttribute('data-state'), 'denied')
  t.equal(await page.locator('#main').isHidden(), true, 'no data is shown')
  await page.locator('#key').fill(adminKey)
  await page.locator('#login-form button').click()
  await page.locator('#conn[data-state="live"]').waitFor(WAIT)
  t.pass('the right key typed into the form connects')
})
