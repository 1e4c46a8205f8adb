/**
 * Which address a participant is judged by, over real sockets from 127.x addresses
 * (geo overrides: 127.1/16 DE, 127.5/16 CN). eu-central trusts 127.9.0.0/16 as its
 * reverse proxy; a meeting there blocks CN. X-Forwarded-For decides the country only when
 * the socket's peer is that proxy, and then only its right-most untrusted hop; from
 * anyone else it is ignored. The address that decides is also the one recorded as the
 * participant's endpoint (guarantee 2).
 */
import t from 'tap'
import WebSocket from 'ws'

import { parseConfig } from '../../../config/load-config.js'
import { buildApp } from '../../../control-plane/app.js'
import { SignalClient, type WebSocketConstructor } from '../../../control-plane/client/signal-client.js'
import { signalUrl } from '../../../control-plane/plugins/signaling.js'
import { CLOSE_CODES } from '../../../control-plane/protocol/error-codes.js'
import { openRegionState } from '../../../state/region-state.js'
import { dropPrefix, network, REDIS_URL } from '../app/fixture.js'
import { geo } from './support.js'

const net = network()
const config = parseConfig({
  text: net.text.replace('controlPlane: { url: http://127.0.0.1:18080 }', 'controlPlane: { url: http://127.0.0.1:18080, trustedProxies: [127.9.0.0/16] }'),
  source: '<trusted proxy network>',
}, { env: {} })
const acme = config.tenantById('acme')!
const state = openRegionState({ region: 'eu-central', redis: { url: REDIS_URL }, prefix: net.prefix })
await state.ready()
const app = await buildApp({ region: 'eu-central', nodeId: 'eu-cp-1', config: () => config, state, geo, defaultMetrics: false })
const url = signalUrl(await app.listen({ host: '127.0.0.1', port: 0 }))
const clients: SignalClient[] = []
t.teardown(async () => {
  await Promise.all(clients.map((c) => c.close()))
  await dropPrefix(state, net.prefix)
  await app.close()
  await state.close()
})

/** A `ws` WebSocket leaving from `localAddress` and sending X-Forwarded-For as a proxy would. */
function socket(localAddress: string, forwardedFor?: string): WebSocketConstructor {
  return class extends WebSocket {
    constructor(target: string, protocols?: string | string[]) {
      super(target, protocols, { localAddress, ...(forwardedFor === undefined ? {} : { headers: { 'x-forwarded-for': forwardedFor } }) })
    }
  } as unknown as WebSocketConstructor
}

const meeting = await app.sovereign.meetings.create(acme, { passcodeRequired: false, waitingRoom: false, attendeePolicy: { mode: 'block', countries: ['CN'] } })
const mint = async (identity: string, role: 'host' | 'attendee' = 'attendee') =>
  (await app.sovereign.meetings.mintToken(meeting.id, acme, { identity, role, displayName: identity })).token

async function join(identity: string, from: string, forwardedFor?: string) {
  const client = SignalClient.connect(url, { WebSocket: socket(from, forwardedFor), token: await mint(identity) })
  clients.push(client)
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${identity}: no answer to join within 10 s`)), 10_000).unref())
  return Promise.race([client.joined, timeout])
}

const recorded = async (identity: string) => {
  const p = (await state.meetings.listParticipants(meeting.id)).find((x) => x.identity === identity)
  return { country: p?.country, addresses: p?.addresses }
}

t.before(async () => {
  const host = SignalClient.connect(url, { WebSocket: socket('127.1.0.40'), token: await mint('host', 'host') })
  clients.push(host)
  const result = await host.joined
  if (result.kind !== 'welcome') throw new Error(`the host was not admitted: ${JSON.stringify(result)}`)
})

t.test('from a peer that is not a trusted proxy, X-Forwarded-For is ignored: the socket address decides', async (t) => {
  const result = await join('claims-cn', '127.1.0.41', '127.5.0.9')
  t.equal(result.kind, 'welcome', 'admitted as the DE socket it is, whatever the header claims')
  t.same(await recorded('claims-cn'), { country: 'DE', addresses: ['127.1.0.41'] }, 'the socket address is the recorded endpoint')
})

t.test('a header claiming an allowed country does not help a blocked socket address', async (t) => {
  const result = await join('cn-claims-de', '127.5.0.41', '127.1.0.9')
  t.same(result.kind === 'denied' && result.code, 'SR_COUNTRY_FORBIDDEN')
})

t.test('from the trusted proxy, the client address it forwards decides', async (t) => {
  const denied = await join('cn-behind-proxy', '127.9.0.1', '127.5.0.42')
  t.same(denied.kind === 'denied' && denied.code, 'SR_COUNTRY_FORBIDDEN', 'a CN client behind the proxy is refused')
  const admitted = await join('de-behind-proxy', '127.9.0.1', '127.1.0.42')
  t.equal(admitted.kind, 'welcome')
  t.same(await recorded('de-behind-proxy'), { country: 'DE', addresses: ['127.1.0.42'] }, 'the forwarded address, not the proxy, is the endpoint')
})

t.test('a spoofed chain is read from the right: what the client wrote left of its own address is never believed', async (t) => {
  const result = await join('cn-spoofing', '127.9.0.1', '127.1.0.77, 127.5.0.43')
  t.same(result.kind === 'denied' && result.code, 'SR_COUNTRY_FORBIDDEN', 'the client claims DE, the proxy saw CN')
})

t.test('a chain through two trusted proxies ends at the first untrusted hop', async (t) => {
  const result = await join('de-two-proxies', '127.9.0.1', '127.5.0.99, 127.1.0.44, 127.9.0.2')
  t.equal(result.kind, 'welcome')
  t.same(await recorded('de-two-proxies'), { country: 'DE', addresses: ['127.1.0.44'] })
})

t.test('the closing code of a country refusal is 4003', async (t) => {
  const client = SignalClient.connect(url, { WebSocket: socket('127.9.0.1', '127.5.0.50'), token: await mint('cn-close') })
  clients.push(client)
  const closed = new Promise<number>((resolve) => client.once('close', (info) => resolve(info.code)))
  t.equal(await Promise.race([closed, new Promise<number>((_, reject) => setTimeout(() => reject(new Error('no close within 10 s')), 10_000).unref())]), CLOSE_CODES.forbiddenCountry)
})
