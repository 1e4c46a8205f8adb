/**
 * The HTTP API rate limit over real sockets from 127.x addresses, with the counters in
 * the region's Redis: requests with a valid API key count against the key, others
 * against the client address (X-Forwarded-For only from a trusted proxy); over the budget
 * the answer is 429 SR_RATE_LIMITED with Retry-After, counted in the metric. Probes and
 * scrapes are never limited. Budgets come from the config; buildApp may override them.
 */
import { request as httpRequest } from 'node:http'

import t from 'tap'

import { parseConfig } from '../../../config/load-config.js'
import { buildApp, type AppOptions, type ControlPlaneApp } from '../../../control-plane/app.js'
import { openRegionState, type RegionState } from '../../../state/region-state.js'
import { dropPrefix, keysUnder, network, REDIS_URL } from './fixture.js'

const net = network()
const config = parseConfig({
  text: net.text.replace('controlPlane: { url: http://127.0.0.1:18080 }', `controlPlane:
      url: http://127.0.0.1:18080
      trustedProxies: [127.9.0.0/16]
      limits:
        http: { perApiKey: { max: 3, windowSeconds: 60 }, perAddress: { max: 2, windowSeconds: 60 } }`),
  source: '<rate-limited network>',
}, { env: {} })

interface Served { readonly app: ControlPlaneApp; readonly state: RegionState; readonly base: string }
const served: Served[] = []
async function serve(options: Partial<AppOptions> = {}, prefix = `${net.prefix}${served.length}`, memory = false): Promise<Served> {
  const state = openRegionState({ region: 'eu-central', redis: memory ? { memory: true } : { url: REDIS_URL }, prefix, warn: () => undefined })
  await state.ready()
  const app = await buildApp({ region: 'eu-central', nodeId: `eu-cp-${served.length}`, config: () => config, state, defaultMetrics: false, ...options })
  const base = await app.listen({ host: '127.0.0.1', port: 0 })
  const s = { app, state, base }
  served.push(s)
  return s
}
t.teardown(async () => {
  for (const s of served) {
    if (s.state.kind === 'redis') await dropPrefix(s.state, s.state.keys.prefix)
    await s.app.close()
    await s.state.close()
  }
})

interface Answer { readonly status: number; readonly headers: Record<string, string | string[] | undefined>; readonly body: { code?: string } }

/** One real HTTP request from `localAddress` (bounded wait). */
function get(base: string, path: string, localAddress: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { localAddress, headers, timeout: 5_000 }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (text += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text.startsWith('{') ? JSON.parse(text) : {} }))
    })
    req.on('timeout', () => req.destroy(new Error(`no answer to ${path} within 5 s`)))
    req.on('error', reject)
    req.end()
  })
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` })
const statuses = async (n: number, one: () => Promise<Answer>) => {
  const out: number[] = []
  for (let i = 0; i < n; i++) out.push((await one()).status)
  return out
}

async function refusals(app: ControlPlaneApp, scope: string): Promise<number> {
  const metric = await app.sovereign.registry.getSingleMetric('sovereign_cp_rate_limited_total')!.get()
  return metric.values.find((v) => v.labels['scope'] === scope)?.value ?? 0
}

t.test('a tenant key gets its budget, then 429 SR_RATE_LIMITED with Retry-After; another key is not affected', async (t) => {
  const { app, base, state } = await serve()
  const list = (key: string, from = '127.1.0.10') => get(base, '/v1/meetings/eu-central.00000000000000000000000000', from, bearer(key))
  t.same(await statuses(3, () => list(net.keys.acme)), [404, 404, 404], 'three requests within the budget')
  const over = await list(net.keys.acme, '127.1.0.11')
  t.equal(over.status, 429, 'the fourth, even from another address, is over the key budget')
  t.equal(over.body.code, 'SR_RATE_LIMITED')
  t.ok(Number(over.headers['retry-after']) > 0, `Retry-After ${over.headers['retry-after']}`)
  t.equal(over.headers['x-ratelimit-limit'], '3')
  t.equal((await list(net.keys.globex)).status, 404, 'the other tenant key still has its own budget')
  t.equal(await refusals(app, 'http_api_key'), 1)
  t.ok((await keysUnder(state, `${state.keys.rateLimit()}*`)).length >= 2, 'the counters live in the region Redis under the rate-limit namespace')
})

t.test('requests without a valid key count against the client address; probes are exempt, /metrics is not', async (t) => {
  const { app, base } = await serve()
  const anonymous = (from: string) => get(base, '/v1/meetings/eu-central.00000000000000000000000000', from, bearer('not-a-key'))
  t.same(await statuses(3, () => anonymous('127.1.0.20')), [401, 401, 429], 'two wrong keys, then the address is limited')
  t.equal((await anonymous('127.1.0.21')).status, 401, 'another address has its own budget')
  t.same(await statuses(5, () => get(base, '/healthz', '127.1.0.20')), [200, 200, 200, 200, 200], '/healthz is never limited')
  t.equal((await get(base, '/metrics', '127.1.0.20')).status, 429, '/metrics on the API port needs a key, so guessing one there is limited too')
  t.equal(await refusals(app, 'http_address'), 2)
})

t.test('behind the trusted proxy each forwarded client has its own budget; from anyone else the header is ignored', async (t) => {
  const { base } = await serve()
  const anonymous = (from: string, forwardedFor: string) => get(base, '/v1/meetings/eu-central.00000000000000000000000000', from, { 'x-forwarded-for': forwardedFor })
  t.same(await statuses(3, () => anonymous('127.9.0.1', '127.1.0.30')), [401, 401, 429], 'one forwarded client spends its budget')
  t.equal((await anonymous('127.9.0.1', '127.1.0.31')).status, 401, 'another forwarded client through the same proxy is not limited')
  t.same(await statuses(3, (() => { let i = 0; return () => anonymous('127.1.0.32', `127.1.0.${100 + i++}`) })()), [401, 401, 429],
    'an untrusted peer cannot escape its budget by claiming new addresses')
})

t.test('nodes of one region share a budget through the region Redis', async (t) => {
  const first = await serve({}, `${net.prefix}shared`)
  const second = await serve({}, `${net.prefix}shared`)
  const list = (s: Served) => get(s.base, '/v1/meetings/eu-central.00000000000000000000000000', '127.1.0.40', bearer(net.keys.acme))
  t.same([(await list(first)).status, (await list(second)).status, (await list(first)).status, (await list(second)).status], [404, 404, 404, 429])
})

t.test('buildApp can override the budgets or turn the limit off', async (t) => {
  const generous = await serve({ rateLimit: { perAddress: { max: 10, windowSeconds: 60 } } })
  const anonymous = (s: Served) => get(s.base, '/v1/meetings/eu-central.00000000000000000000000000', '127.1.0.50', bearer('not-a-key'))
  t.same(await statuses(5, () => anonymous(generous)), [401, 401, 401, 401, 401], 'a larger budget from the options')
  const off = await serve({ rateLimit: { enabled: false } })
  t.same(await statuses(5, () => anonymous(off)), [401, 401, 401, 401, 401], 'no limit at all')
  t.equal(off.app.sovereign.registry.getSingleMetric('sovereign_cp_rate_limited_total') === undefined, false, 'the metric still exists (signaling uses it)')
})

t.test('with the in-process state backend the budgets hold per node', async (t) => {
  const a = await serve({}, `${net.prefix}mem`, true)
  const b = await serve({}, `${net.prefix}mem`, true)
  const anonymous = (s: Served) => get(s.base, '/v1/meetings/eu-central.00000000000000000000000000', '127.1.0.60', bearer('not-a-key'))
  t.same(await statuses(3, () => anonymous(a)), [401, 401, 429], 'node a limits the address')
  t.equal((await anonymous(b)).status, 401, 'node b counts on its own')
})
