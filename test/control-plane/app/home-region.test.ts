import t from 'tap'

import { bearer, dropPrefix, keysUnder, network, startRegion } from './fixture.js'

const net = network()
const eu = await startRegion(net, 'eu-central')
const us = await startRegion(net, 'us-east')
t.teardown(async () => {
  await dropPrefix(eu.state, net.prefix)
  await Promise.all([eu.close(), us.close()])
})

/**
 * eu-central's keys, less its HTTP rate-limit counters: those count requests per API key
 * or client address (a node answering a redirect did the work of reading the key) and
 * hold nothing of a meeting or a request; the first test checks exactly that.
 */
const euKeys = async () => (await keysUnder(eu.state, `${net.prefix}:{eu-central*`)).filter((k) => !k.startsWith(eu.state.keys.rateLimit()))

t.test('POST /v1/meetings asking another region is answered 307 to that region and nothing is stored here', async (t) => {
  const before = await euKeys()
  const res = await eu.app.inject({ method: 'POST', url: '/v1/meetings?trace=1', headers: bearer(net.keys.acme), payload: { region: 'us-east', passcode: 'secret-passcode' } })
  t.equal(res.statusCode, 307)
  t.equal(res.headers.location, 'http://127.0.0.1:18081/v1/meetings?trace=1', 'same path and query at the home region (trailing slash of the base URL dropped)')
  t.equal(res.json().code, 'SR_REDIRECT_HOME_REGION')
  t.equal(res.json().region, 'us-east')
  t.same(await euKeys(), before, 'the non-home region wrote nothing')
  const counters = await keysUnder(eu.state, `${eu.state.keys.rateLimit()}*`)
  t.same(counters.map((k) => k.slice(eu.state.keys.rateLimit().length)), ['k:acme:acme-1'], 'only the rate-limit counter of the API key, naming no meeting and no region')
  t.notMatch(res.body, /secret-passcode/, 'the body is not echoed')

  // Following the redirect by hand (same method, same body) creates it at home.
  const home = await us.app.inject({ method: 'POST', url: '/v1/meetings', headers: bearer(net.keys.acme), payload: { region: 'us-east', passcode: 'secret-passcode' } })
  t.equal(home.statusCode, 201)
  t.match(home.json().id, /^us-east\./)
})

t.test('a tenant default region elsewhere redirects too', async (t) => {
  const res = await eu.app.inject({ method: 'POST', url: '/v1/meetings', headers: bearer(net.keys.globex), payload: {} })
  t.equal(res.statusCode, 307)
  t.equal(res.headers.location, 'http://127.0.0.1:18081/v1/meetings')
})

t.test('any request naming another region\'s meeting is answered 307 before auth and before the body is read; nothing of the meeting is written here', async (t) => {
  const created = await us.app.inject({ method: 'POST', url: '/v1/meetings', headers: bearer(net.keys.acme), payload: { region: 'us-east' } })
  const id: string = created.json().id
  const before = await euKeys()

  const get = await eu.app.inject({ method: 'GET', url: `/v1/meetings/${id}?expand=participants&x=%20y`, headers: bearer(net.keys.acme) })
  t.equal(get.statusCode, 307)
  t.equal(get.headers.location, `http://127.0.0.1:18081/v1/meetings/${id}?expand=participants&x=%20y`)

  const cases = [
    { method: 'PATCH', url: `/v1/meetings/${id}`, payload: { waitingRoom: true } },
    { method: 'POST', url: `/v1/meetings/${id}/end` },
    { method: 'POST', url: `/v1/meetings/${id}/tokens`, payload: { identity: 'mallory', role: 'host' } },
    { method: 'DELETE', url: `/v1/meetings/${id}/participants/p_abc` },
    { method: 'GET', url: `/v1/meetings/${id}/residency-report` },
    // no key at all, and a body that is not even JSON: still a redirect, the body is never parsed
    { method: 'POST', url: `/v1/meetings/${id}/lock`, noAuth: true, raw: '{not json', type: 'application/json' },
  ] as const
  for (const c of cases) {
    const res = await eu.app.inject({
      method: c.method, url: c.url,
      headers: { ...('noAuth' in c ? {} : bearer(net.keys.acme)), ...('type' in c ? { 'content-type': c.type } : {}) },
      ...('payload' in c ? { payload: c.payload } : 'raw' in c ? { payload: c.raw } : {}),
    })
    t.equal(res.statusCode, 307, `${c.method} ${c.url}`)
    t.equal(res.headers.location, `http://127.0.0.1:18081${c.url}`)
  }
  const after = await euKeys()
  t.same(after, before, 'no key was added to eu-central')
  t.notOk(after.some((k) => k.includes(id)), 'no eu-central key names the meeting')

  const home = await us.app.inject({ method: 'GET', url: `/v1/meetings/${id}`, headers: bearer(net.keys.acme) })
  t.equal(home.json().status, 'active', 'the redirected end never reached the meeting')
  t.equal(home.json().settings.waitingRoom, false, 'nor did the redirected PATCH')

  const metrics = await eu.app.inject({ method: 'GET', url: '/metrics', headers: bearer(net.keys.admin) })
  t.match(metrics.body, /sovereign_cp_redirects_total\{to_region="us-east",kind="meeting"\} 7/)
})

t.test('a well-formed id naming a region this network does not have is a 404', async (t) => {
  const res = await eu.app.inject({ method: 'GET', url: `/v1/meetings/mars-base.${'0'.repeat(26)}`, headers: bearer(net.keys.acme) })
  t.equal(res.statusCode, 404)
  t.equal(res.json().code, 'SR_MEETING_NOT_FOUND')
})

t.test('the meeting service itself refuses another region\'s meeting, so no code path can bypass the hook', async (t) => {
  const created = await us.app.inject({ method: 'POST', url: '/v1/meetings', headers: bearer(net.keys.acme), payload: { region: 'us-east' } })
  await t.rejects(eu.app.sovereign.meetings.get(created.json().id), { code: 'SR_REDIRECT_HOME_REGION' })
  await t.rejects(eu.app.sovereign.meetings.end(created.json().id, { kind: 'tenant', tenantId: 'acme' }), { code: 'SR_REDIRECT_HOME_REGION' })
})
