/**
 * Every API answer carries `X-Content-Type-Options: nosniff` (issue 9, item 8): success,
 * refusals, framework errors, unknown routes, probes and the docs alike.
 */
import type { InjectOptions } from 'fastify'
import t from 'tap'

import type { MemoryRegion } from '../../../state/memory/backend.js'
import { bearer, network, startRegion } from '../app/fixture.js'

const net = network()
const eu = await startRegion(net, 'eu-central', { memory: new Map<string, MemoryRegion>() })
t.teardown(() => eu.close())

t.test('answers of every kind carry X-Content-Type-Options: nosniff', async (t) => {
  const json = { ...bearer(net.keys.acme), 'content-type': 'application/json' }
  const requests: Array<InjectOptions & { what: string }> = [
    { what: 'a created meeting (201)', method: 'POST', url: '/v1/meetings', headers: json, payload: '{}' },
    { what: 'no key (401)', method: 'GET', url: '/v1/meetings/eu-central.00000000000000000000000000' },
    { what: 'a body that is not JSON (400)', method: 'POST', url: '/v1/meetings', headers: json, payload: '{' },
    { what: 'an unknown route (404)', method: 'GET', url: '/no/such/route' },
    { what: 'liveness', method: 'GET', url: '/healthz' },
    { what: 'the OpenAPI document', method: 'GET', url: '/docs/json' },
  ]
  for (const { what, ...request } of requests) {
    const res = await eu.app.inject(request)
    t.equal(res.headers['x-content-type-options'], 'nosniff', `${what}: ${res.statusCode}`)
  }
})
