/**
 * A Redis outage is not an internal error (issue 9, item 7): while the region's Redis is
 * down, REST answers 503 SR_STATE_UNAVAILABLE with Retry-After and a join is refused
 * with SR_STATE_UNAVAILABLE and close 4022, so clients know to retry; once Redis is back
 * the same requests succeed without a restart. A redis-server of the test's own.
 */
import { Writable } from 'node:stream'

import t from 'tap'
import WebSocket from 'ws'

import { signalUrl } from '../../../control-plane/plugins/signaling.js'
import { SUBPROTOCOL } from '../../../control-plane/protocol/version.js'
import { openRegionState } from '../../../state/region-state.js'
import { startRedisServer, uniquePrefix } from '../../state/support/redis-servers.js'
import { bearer, network, startRegion } from './fixture.js'

// Append-only file, so the restart is an outage, not a wipe.
const redis = await startRedisServer(['--appendonly', 'yes'])
t.teardown(() => redis.stop())
const levels: number[] = []
const stream = new Writable({
  write(chunk, _encoding, done) {
    levels.push((JSON.parse(String(chunk)) as { level: number }).level)
    done()
  },
})
const net = network()
const state = openRegionState({ region: 'eu-central', redis: { url: redis.url }, prefix: uniquePrefix('outage') })
await state.ready()
const eu = await startRegion(net, 'eu-central', { state, logger: { level: 'info', stream } })
const base = await eu.app.listen({ host: '127.0.0.1', port: 0 })
t.teardown(async () => {
  await eu.close()
  await state.close()
})

/** Opens a signaling socket, sends `join`, and resolves with what came back and the close code. */
function join(token: string, passcode?: string): Promise<{ messages: Array<{ type: string; code?: string }>; close: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(signalUrl(base), SUBPROTOCOL)
    const messages: Array<{ type: string; code?: string }> = []
    ws.on('open', () => ws.send(JSON.stringify({ type: 'join', id: 'j1', token, ...(passcode === undefined ? {} : { passcode }) })))
    ws.on('message', (data) => {
      messages.push(JSON.parse(String(data)) as { type: string })
      if (messages.at(-1)!.type === 'welcome') ws.close(1000)
    })
    ws.on('close', (close) => resolve({ messages, close }))
    ws.on('error', reject)
  })
}

const notConnected = () => Promise.race([state.health.when('reconnecting'), state.health.when('down')])

t.test('during a Redis outage REST answers 503 SR_STATE_UNAVAILABLE with Retry-After, and a join closes 4022', async (t) => {
  const created = await fetch(`${base}/v1/meetings`, { method: 'POST', headers: { ...bearer(net.keys.acme), 'content-type': 'application/json' }, body: JSON.stringify({ passcodeRequired: false, joinBeforeHost: true }) })
  t.equal(created.status, 201)
  const meeting = await created.json() as { id: string }
  const minted = await fetch(`${base}/v1/meetings/${meeting.id}/tokens`, { method: 'POST', headers: { ...bearer(net.keys.acme), 'content-type': 'application/json' }, body: JSON.stringify({ identity: 'ann', role: 'attendee' }) })
  const { token } = await minted.json() as { token: string }

  await redis.down()
  await notConnected()
  levels.length = 0
  for (const [method, path, body] of [['GET', `/v1/meetings/${meeting.id}`, undefined], ['POST', '/v1/meetings', '{}']] as const) {
    const res = await fetch(`${base}${path}`, { method, headers: { ...bearer(net.keys.acme), ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body } : {}) })
    t.equal(res.status, 503, `${method} ${path} is 503`)
    t.equal(res.headers.get('retry-after'), '2', 'with Retry-After')
    t.equal((await res.json() as { code: string }).code, 'SR_STATE_UNAVAILABLE')
  }
  const refused = await join(token)
  t.same(refused.messages.map((m) => `${m.type}:${m.code}`), ['error:SR_STATE_UNAVAILABLE'], 'the join is told why')
  t.equal(refused.close, 4022, 'and the socket closes with its own code')
  t.notOk(levels.some((l) => l >= 50), 'an outage is not logged as an error per request')

  await redis.up()
  await state.health.when('connected')
  const back = await fetch(`${base}/v1/meetings/${meeting.id}`, { headers: bearer(net.keys.acme) })
  t.equal(back.status, 200, 'REST answers again without a restart')
  const joined = await join(token)
  t.equal(joined.messages.at(-1)?.type, 'welcome', 'and the same token joins')
})
