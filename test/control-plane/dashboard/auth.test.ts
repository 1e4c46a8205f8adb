/**
 * The dashboard is the operator's: its socket says nothing until the admin key arrives as
 * the first message, refuses anything else with a coded close, and never logs the key.
 */
import { Writable } from 'node:stream'
import t from 'tap'

import { DASHBOARD_CSP } from '../../../control-plane/dashboard/page.js'
import { dropPrefix, network } from '../app/fixture.js'
import { listenRegion, openDashboardSocket, within } from './support.js'

const lines: string[] = []
const stream = new Writable({
  write(chunk, _encoding, done) {
    lines.push(String(chunk))
    done()
  },
})

const net = network()
const eu = await listenRegion(net, 'eu-central', { dashboard: { authTimeoutMs: 300, intervalMs: 200 }, logger: { level: 'debug', stream } })
t.teardown(async () => {
  await dropPrefix(eu.state, net.prefix)
  await eu.close()
})

t.test('a wrong key gets an error message and close 4401, and no data', async (t) => {
  const c = await openDashboardSocket(eu.url)
  c.send(JSON.stringify({ type: 'auth', key: 'sk_admin_not-the-real-one' }))
  const closed = await within(c.closed, 'the socket closes')
  t.equal(closed.code, 4401)
  t.equal(closed.reason, 'SR_UNAUTHENTICATED')
  t.same(c.messages.map((m) => m.type), ['error'], 'nothing but the error')
  t.match(c.messages[0], { code: 'SR_UNAUTHENTICATED' })
})

t.test("a tenant's key is not an operator's: close 4403", async (t) => {
  const c = await openDashboardSocket(eu.url)
  c.send(JSON.stringify({ type: 'auth', key: net.keys.acme }))
  t.equal((await within(c.closed, 'the socket closes')).code, 4403)
  t.same(c.messages.map((m) => m.type), ['error'])
})

t.test('no key at all: the socket is closed with 4408 once the auth time is up', async (t) => {
  const c = await openDashboardSocket(eu.url)
  const closed = await within(c.closed, 'the socket closes', 3000)
  t.equal(closed.code, 4408)
  t.same(c.messages.map((m) => m.type), ['error'])
})

t.test('a first message that is not an auth message is a protocol violation (4400)', async (t) => {
  const c = await openDashboardSocket(eu.url)
  c.send(JSON.stringify({ type: 'subscribe' }))
  t.equal((await within(c.closed, 'the socket closes')).code, 4400)
  const big = await openDashboardSocket(eu.url)
  big.send(JSON.stringify({ type: 'auth', key: 'x'.repeat(5000) }))
  t.equal((await within(big.closed, 'the socket closes')).code, 4413, 'an oversized one too')
})

t.test('the admin key opens the feed: hello with the scope, then a snapshot', async (t) => {
  const c = await openDashboardSocket(eu.url)
  t.teardown(() => c.close())
  c.send(JSON.stringify({ type: 'auth', key: net.keys.admin }))
  const hello = await c.next('hello')
  t.same(hello, { type: 'hello', region: 'eu-central', nodeId: 'eu-central-cp-1', scope: 'meetings homed in eu-central' })
  const snap = await c.next('snapshot')
  t.same(snap.view.regions.map((r) => r.id), ['eu-central', 'eu-north', 'us-east'], "every region's fleet")
  t.equal(snap.view.regions.find((r) => r.here)?.id, 'eu-central')
})

t.test('the key is never logged, only the id of an accepted key', async (t) => {
  const log = lines.join('')
  t.match(log, /"keyId":"ops-1".*dashboard opened/)
  for (const key of [net.keys.admin, net.keys.acme, 'sk_admin_not-the-real-one']) t.notMatch(log, key, 'no key in the log')
})

t.test('the page and its assets are served with a strict CSP and no data in them', async (t) => {
  for (const [path, type] of [['/dashboard', 'text/html'], ['/dashboard/app.js', 'text/javascript'], ['/dashboard/app.css', 'text/css']] as const) {
    const res = await fetch(`${eu.url}${path}`)
    t.equal(res.status, 200, path)
    t.match(res.headers.get('content-type'), type)
    t.equal(res.headers.get('content-security-policy'), DASHBOARD_CSP)
    t.equal(res.headers.get('x-content-type-options'), 'nosniff')
    t.equal(res.headers.get('cache-control'), 'no-store')
    t.notMatch(await res.text(), 'eu-central.', 'no meeting data in the static assets')
  }
  t.match(DASHBOARD_CSP, /script-src 'self'(;|$)/, 'no inline or eval script')
  t.notMatch(DASHBOARD_CSP, /unsafe/)
})
