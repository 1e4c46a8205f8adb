/**
 * Requests the framework refuses before a route runs (issue 9, item 6) are the client's
 * mistake: a coded 4xx body, one log line below error level, never 500 SR_INTERNAL with
 * a stack. Over a real socket on loopback, as a client would send them.
 */
import { Writable } from 'node:stream'

import t, { type Test } from 'tap'

import type { MemoryRegion } from '../../../state/memory/backend.js'
import { bearer, network, startRegion } from '../app/fixture.js'

const lines: Array<{ level: number; msg: string; code?: string }> = []
const stream = new Writable({
  write(chunk, _encoding, done) {
    lines.push(JSON.parse(String(chunk)) as { level: number; msg: string })
    done()
  },
})

const net = network()
const eu = await startRegion(net, 'eu-central', { memory: new Map<string, MemoryRegion>(), logger: { level: 'debug', stream } })
const base = await eu.app.listen({ host: '127.0.0.1', port: 0 })
t.teardown(() => eu.close())

const json = { ...bearer(net.keys.acme), 'content-type': 'application/json' }

async function refused(t: Test, init: { path: string; method?: string; body?: string; headers?: Record<string, string> }, status: number, code: string): Promise<void> {
  lines.length = 0
  const res = await fetch(`${base}${init.path}`, { method: init.method ?? 'GET', headers: init.headers ?? {}, ...(init.body === undefined ? {} : { body: init.body }) })
  t.equal(res.status, status, 'status')
  const body = await res.json() as { code: string; message: string }
  t.equal(body.code, code, 'code')
  t.type(body.message, 'string')
  t.notOk(lines.some((l) => l.level >= 50), 'nothing is logged at error level')
  t.ok(lines.some((l) => l.level === 30 && l.msg === 'request refused' && l.code === code), 'one info line names the code')
}

t.test('a body that is not JSON is 400 SR_BAD_REQUEST', async (t) => {
  await refused(t, { path: '/v1/meetings', method: 'POST', headers: json, body: '{"title":' }, 400, 'SR_BAD_REQUEST')
})

t.test('a body with __proto__ (or constructor.prototype) is 400 SR_BAD_REQUEST, and nothing is created', async (t) => {
  await refused(t, { path: '/v1/meetings', method: 'POST', headers: json, body: '{"title":"x","__proto__":{"passcodeRequired":false}}' }, 400, 'SR_BAD_REQUEST')
  await refused(t, { path: '/v1/meetings', method: 'POST', headers: json, body: '{"constructor":{"prototype":{"x":1}}}' }, 400, 'SR_BAD_REQUEST')
  t.equal(({} as Record<string, unknown>).passcodeRequired, undefined, 'no prototype was touched')
})

t.test('an empty JSON body is 400 SR_BAD_REQUEST', async (t) => {
  await refused(t, { path: '/v1/meetings', method: 'POST', headers: json, body: '' }, 400, 'SR_BAD_REQUEST')
})

t.test('a 10 MB body is 413 SR_BODY_TOO_LARGE', async (t) => {
  await refused(t, { path: '/v1/meetings', method: 'POST', headers: json, body: `{"title":"${'a'.repeat(10 * 1024 * 1024)}"}` }, 413, 'SR_BODY_TOO_LARGE')
})

t.test('a static path the file server forbids is 403 SR_PATH_FORBIDDEN', async (t) => {
  await refused(t, { path: '/docs/static/%00' }, 403, 'SR_PATH_FORBIDDEN')
})

t.test('an unexpected error is still 500 SR_INTERNAL, logged at error level', async (t) => {
  lines.length = 0
  const app = (await startRegion(net, 'eu-central', { memory: new Map<string, MemoryRegion>(), logger: { level: 'debug', stream } }))
  t.teardown(() => app.close())
  app.app.get('/boom-for-test', { config: { auth: 'none' } }, async () => { throw new RangeError('secret detail') })
  const res = await app.app.inject({ method: 'GET', url: '/boom-for-test' })
  t.equal(res.statusCode, 500)
  t.same(res.json(), { code: 'SR_INTERNAL', message: 'internal error' })
  t.ok(lines.some((l) => l.level === 50), 'logged at error level')
})
