/**
 * The signaling limits come from the region's config (`controlPlane.limits.signaling`)
 * or from buildApp's `signaling` options, and each is enforced on a real socket with its
 * coded error, its close code and the rate-limit metric: the join timeout (4012), new
 * sockets per client address (4008), the frame size (4016) and the message rate (4008).
 */
import t from 'tap'
import WebSocket from 'ws'

import { parseConfig } from '../../../config/load-config.js'
import { buildApp, type ControlPlaneApp } from '../../../control-plane/app.js'
import { signalUrl } from '../../../control-plane/plugins/signaling.js'
import { CLOSE_CODES } from '../../../control-plane/protocol/error-codes.js'
import { SUBPROTOCOL } from '../../../control-plane/protocol/version.js'
import { openRegionState, type RegionState } from '../../../state/region-state.js'
import { network } from '../app/fixture.js'

const net = network()
const acme = net.config.tenantById('acme')!
const limited = parseConfig({
  text: net.text.replace('controlPlane: { url: http://127.0.0.1:18080 }', `controlPlane:
      url: http://127.0.0.1:18080
      limits:
        signaling: { joinTimeoutSeconds: 1, maxMessageBytes: 8192, messagesPerSecond: 1, messageBurst: 5, joinsPerAddress: { perSecond: 0.1, burst: 2 }, unjoinedSockets: { perAddress: 4, perNode: 1000 } }`),
  source: '<limited network>',
}, { env: {} })

interface Served { readonly app: ControlPlaneApp; readonly state: RegionState; readonly url: string }
const served: Served[] = []
async function serve(options: Partial<Parameters<typeof buildApp>[0]> = {}, config = limited): Promise<Served> {
  const state = openRegionState({ region: 'eu-central', redis: { memory: true }, prefix: `${net.prefix}${served.length}`, warn: () => undefined })
  const app = await buildApp({ region: 'eu-central', nodeId: 'eu-cp-1', config: () => config, state, defaultMetrics: false, ...options })
  const url = signalUrl(await app.listen({ host: '127.0.0.1', port: 0 }))
  const s = { app, state, url }
  served.push(s)
  return s
}
t.teardown(async () => {
  for (const s of served) {
    await s.app.close()
    await s.state.close()
  }
})

/** A raw subprotocol socket from `localAddress`: the messages it got, and its close code (bounded wait). */
async function open(url: string, localAddress: string) {
  const ws = new WebSocket(url, SUBPROTOCOL, { localAddress })
  const messages: Array<{ type: string; code?: string }> = []
  ws.on('message', (d) => messages.push(JSON.parse(String(d))))
  const closed = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the server did not close the socket within 5 s')), 5_000)
    timer.unref()
    ws.on('close', (code) => { clearTimeout(timer); resolve(code) })
  })
  closed.catch(() => undefined)
  await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject) })
  const openedAt = Date.now()
  return { ws, messages, closed, openedAt }
}

async function refusals(app: ControlPlaneApp, scope: string): Promise<number> {
  const metric = await app.sovereign.registry.getSingleMetric('sovereign_cp_rate_limited_total')!.get()
  return metric.values.find((v) => v.labels['scope'] === scope)?.value ?? 0
}

t.test('a socket that sends no join within the buildApp join timeout is closed with 4012 and SR_JOIN_TIMEOUT', async (t) => {
  const { url } = await serve({ signaling: { joinTimeoutMs: 250 } })
  const s = await open(url, '127.1.0.60')
  t.equal(await s.closed, CLOSE_CODES.joinTimeout)
  const elapsed = Date.now() - s.openedAt
  t.ok(elapsed >= 200 && elapsed < 2_000, `closed after the short timeout (${elapsed} ms)`)
  t.match(s.messages, [{ type: 'error', code: 'SR_JOIN_TIMEOUT' }])
})

t.test('the join timeout of the config applies when buildApp gives none, and only a successful join stops it', async (t) => {
  const { app, url } = await serve()
  const idle = await open(url, '127.1.0.61')
  // Issue 9, item 2: a ping and a refused signal used to stop the timer, so such sockets stayed open for ever.
  const chatty = await open(url, '127.1.0.62')
  chatty.ws.send(JSON.stringify({ type: 'ping', nonce: 'n' }))
  chatty.ws.send(JSON.stringify({ type: 'signal', to: 'all', kind: 'ice', payload: '' }))
  const meeting = await app.sovereign.meetings.create(acme, { passcodeRequired: false, waitingRoom: false })
  const joined = await open(url, '127.1.0.63')
  joined.ws.send(JSON.stringify({ type: 'join', token: (await app.sovereign.meetings.mintToken(meeting.id, acme, { identity: 'on-time', role: 'host' })).token }))
  t.equal(await idle.closed, CLOSE_CODES.joinTimeout)
  const elapsed = Date.now() - idle.openedAt
  t.ok(elapsed >= 900 && elapsed < 3_000, `closed after the config's 1 s (${elapsed} ms)`)
  t.equal(await chatty.closed, CLOSE_CODES.joinTimeout, 'a socket that pinged and signalled but never joined is closed too')
  t.match(chatty.messages, [{ type: 'pong' }, { type: 'error', code: 'SR_NOT_JOINED' }, { type: 'error', code: 'SR_JOIN_TIMEOUT' }])
  t.match(joined.messages, [{ type: 'welcome' }])
  t.equal(joined.ws.readyState, WebSocket.OPEN, 'a socket that joined in time stays open')
  joined.ws.close()
})

t.test('sockets not joined yet are capped per address: the one over the cap gets SR_TOO_MANY_UNJOINED and 4021', async (t) => {
  const { app, url } = await serve({ signaling: { joinsPerAddress: { perSecond: 100, burst: 100 }, unjoinedSockets: { perAddress: 2, perNode: 100 } } })
  const first = await open(url, '127.1.0.100')
  const second = await open(url, '127.1.0.100')
  const third = await open(url, '127.1.0.100')
  t.equal(await third.closed, CLOSE_CODES.tooManyUnjoined, 'the third unjoined socket from one address is refused')
  t.match(third.messages, [{ type: 'error', code: 'SR_TOO_MANY_UNJOINED' }])
  const other = await open(url, '127.1.0.101')
  t.equal(other.ws.readyState, WebSocket.OPEN, 'another address is not affected')
  // A socket that joins no longer counts: its address may open another.
  const meeting = await app.sovereign.meetings.create(acme, { passcodeRequired: false, waitingRoom: false })
  const welcome = new Promise<void>((resolve) => first.ws.on('message', () => { if (first.messages.some((m) => m.type === 'welcome')) resolve() }))
  first.ws.send(JSON.stringify({ type: 'join', token: (await app.sovereign.meetings.mintToken(meeting.id, acme, { identity: 'joiner', role: 'host' })).token }))
  await welcome
  const fourth = await open(url, '127.1.0.100')
  t.equal(fourth.ws.readyState, WebSocket.OPEN, 'after one of them joined, the address may open one more')
  const fifth = await open(url, '127.1.0.100')
  t.equal(await fifth.closed, CLOSE_CODES.tooManyUnjoined, 'and no more than that')
  const metric = await app.sovereign.registry.getSingleMetric('sovereign_cp_signal_unjoined_refused_total')!.get()
  t.equal(metric.values[0]?.value, 2, 'each refusal is counted')
  for (const s of [first, second, other, fourth]) s.ws.close()
})

t.test('sockets not joined yet are capped per node, whatever their addresses', async (t) => {
  const { url } = await serve({ signaling: { joinsPerAddress: { perSecond: 100, burst: 100 }, unjoinedSockets: { perAddress: 10, perNode: 3 } } })
  const open3 = await Promise.all(['127.1.0.110', '127.1.0.111', '127.1.0.112'].map((a) => open(url, a)))
  const fourth = await open(url, '127.1.0.113')
  t.equal(await fourth.closed, CLOSE_CODES.tooManyUnjoined, 'the fourth unjoined socket on the node is refused')
  t.ok(open3.every((s) => s.ws.readyState === WebSocket.OPEN), 'the three before it stay open')
  for (const s of open3) s.ws.close()
})

t.test('the config caps unjoined sockets per address when buildApp gives no cap', async (t) => {
  const { url } = await serve({ signaling: { joinsPerAddress: { perSecond: 100, burst: 100 } } })
  const four = await Promise.all([1, 2, 3, 4].map(() => open(url, '127.1.0.120')))
  const fifth = await open(url, '127.1.0.120')
  t.equal(await fifth.closed, CLOSE_CODES.tooManyUnjoined, "the config's 4 per address")
  for (const s of four) s.ws.close()
})

t.test('new sockets beyond the per-address burst are refused with SR_RATE_LIMITED and 4008; other addresses are not', async (t) => {
  const { app, url } = await serve()
  const first = await open(url, '127.1.0.70')
  const second = await open(url, '127.1.0.70')
  const third = await open(url, '127.1.0.70')
  t.equal(await third.closed, CLOSE_CODES.rateLimited, 'the third socket from one address within the burst is closed')
  t.match(third.messages, [{ type: 'error', code: 'SR_RATE_LIMITED' }])
  const other = await open(url, '127.1.0.71')
  t.equal(other.ws.readyState, WebSocket.OPEN, 'another address is not affected')
  t.equal(first.ws.readyState, WebSocket.OPEN, 'sockets already open are not affected')
  t.equal(await refusals(app, 'signal_join'), 1, 'counted once in sovereign_cp_rate_limited_total{scope="signal_join"}')
  for (const s of [first, second, other]) s.ws.close()
})

t.test('a frame over the configured size is refused with 4016 although the protocol would allow it', async (t) => {
  const { url } = await serve()
  // An offer of 7,000 or 9,000 characters is well within the protocol's 32 KB SDP limit.
  const offer = (chars: number) => JSON.stringify({ type: 'signal', to: 'all', kind: 'offer', payload: 'v'.repeat(chars) })
  const small = await open(url, '127.1.0.80')
  small.ws.send(offer(7_000))
  const big = await open(url, '127.1.0.81')
  big.ws.send(offer(9_000))
  t.equal(await big.closed, CLOSE_CODES.messageTooLarge)
  t.match(big.messages, [{ type: 'error', code: 'SR_MESSAGE_TOO_LARGE' }])
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no answer to the small frame within 5 s')), 5_000)
    const check = () => { if (small.messages.length > 0) { clearTimeout(timer); resolve() } }
    small.ws.on('message', check)
    check()
  })
  t.match(small.messages, [{ type: 'error', code: 'SR_NOT_JOINED' }], 'a frame under the limit reaches the session (which wants a join first)')
  t.equal(small.ws.readyState, WebSocket.OPEN, 'and the socket stays open')
  small.ws.close()
})

t.test('messages beyond the configured rate close the socket with 4008 and are counted', async (t) => {
  const { app, url } = await serve()
  const s = await open(url, '127.1.0.90')
  for (let i = 0; i < 8; i++) s.ws.send(JSON.stringify({ type: 'ping' }))
  t.equal(await s.closed, CLOSE_CODES.rateLimited, 'a burst of 5 at 1/s: the sixth message closes it')
  t.ok(s.messages.filter((m) => m.type === 'pong').length <= 5, 'nothing beyond the burst was answered')
  t.ok(await refusals(app, 'signal_message') >= 1, 'counted in sovereign_cp_rate_limited_total{scope="signal_message"}')
})

t.test('buildApp options win over the config', async (t) => {
  const { url } = await serve({ signaling: { joinsPerAddress: { perSecond: 100, burst: 100 }, rate: { ratePerSecond: 100, burst: 100 } } })
  const sockets = await Promise.all([1, 2, 3, 4].map(() => open(url, '127.1.0.95')))
  t.ok(sockets.every((s) => s.ws.readyState === WebSocket.OPEN), 'four sockets from one address')
  for (let i = 0; i < 20; i++) sockets[0]!.ws.send(JSON.stringify({ type: 'ping' }))
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('20 pongs did not arrive within 5 s')), 5_000)
    const check = () => { if (sockets[0]!.messages.length >= 20) { clearTimeout(timer); resolve() } }
    sockets[0]!.ws.on('message', check)
    check()
  })
  t.equal(sockets[0]!.ws.readyState, WebSocket.OPEN, 'twenty messages within the overridden rate')
  for (const s of sockets) s.ws.close()
})
