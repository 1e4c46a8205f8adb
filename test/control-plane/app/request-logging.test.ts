import { Writable } from 'node:stream'

import t from 'tap'

import { bearer, dropPrefix, network, startRegion } from './fixture.js'

const lines: string[] = []
const stream = new Writable({
  write(chunk, _encoding, done) {
    lines.push(String(chunk))
    done()
  },
})

const net = network()
const eu = await startRegion(net, 'eu-central', { logger: { level: 'debug', stream } })
t.teardown(async () => {
  await dropPrefix(eu.state, net.prefix)
  await eu.close()
})

t.test('a redirected request is logged as a fact: no body, no meeting id, no query', async (t) => {
  const foreign = `us-east.${'a'.repeat(26)}`
  const res = await eu.app.inject({
    method: 'PATCH', url: `/v1/meetings/${foreign}?passcode=leaky-query`, headers: bearer(net.keys.acme),
    payload: { passcode: 'very-secret-passcode', title: 'merger talks' },
  })
  t.equal(res.statusCode, 307)
  const log = lines.join('')
  t.match(log, /"toRegion":"us-east"/, 'the redirect is logged')
  t.match(log, /"route":"unmatched"|"route":"\/v1\/meetings\/:meetingId"/, 'with a route pattern at most')
  for (const secret of [foreign, 'very-secret-passcode', 'merger talks', 'leaky-query', net.keys.acme]) {
    t.notMatch(log, secret, `the log does not contain ${secret.slice(0, 12)}…`)
  }
})

t.test('ordinary requests are logged with the route pattern, never the raw URL or the body', async (t) => {
  lines.length = 0
  const created = await eu.app.inject({ method: 'POST', url: '/v1/meetings', headers: bearer(net.keys.acme), payload: { passcode: 'another-secret', title: 'board' } })
  const id = created.json().id as string
  await eu.app.inject({ method: 'GET', url: `/v1/meetings/${id}`, headers: bearer(net.keys.acme) })
  const log = lines.join('')
  t.match(log, /"route":"\/v1\/meetings\/:meetingId","method":"GET","status":200/)
  t.notMatch(log, id)
  t.notMatch(log, 'another-secret')
})
