/**
 * What a region relay tells the world: where clients and peers reach it.
 *
 * Behind 1:1 NAT (a cloud VM whose public IP is not on its interfaces): the
 * relayed sockets bind on the private address, but XOR-RELAYED-ADDRESS and the fleet
 * registry carry the public one, so clients, the control plane's ICE servers and the
 * other relays' peer checks all use what peers can actually reach. 127.0.0.77 stands in
 * for the public address (nothing listens there: only what is advertised is checked).
 *
 * With TURN over TLS, the fleet lists `turns:` endpoints under the name on the relay's
 * certificate, and a config reload re-reads the certificate files (a renewal).
 */
import { X509Certificate, randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import tls from 'node:tls'
import t from 'tap'

import { parseConfig } from '../../../config/load-config.js'
import { mintTurnCredential } from '../../../relay/auth/credentials.js'
import { resolvePublicAddress, startRegionRelay } from '../../../relay/region/region-relay.js'
import { newMeetingId } from '../../../state/meeting-id.js'
import { openRegionState } from '../../../state/region-state.js'
import { OPEN_MEETING_SETTINGS, testNetworkYaml } from '../../support/test-network.js'
import { makeTestCertificates } from '../../support/tls-cert.js'
import { TurnClient } from '../../support/turn-client.js'

const SECRET = 'eu-relay-secret-nat-0001'
const PUBLIC = '127.0.0.77'
const yaml = testNetworkYaml([{ id: 'eu-central', country: 'DE', secret: SECRET, relays: ['eu-nat'] }])
  .replace('{ id: eu-nat, listen: ["127.0.0.1:0"] }', `{ id: eu-nat, listen: ["127.0.0.1:0"], publicAddress: "${PUBLIC}" }`)
const config = parseConfig({ source: 'public-address-test', text: yaml })
const prefix = `t-nat-${randomBytes(4).toString('hex')}`
const state = openRegionState({ region: 'eu-central', redis: { url: 'redis://127.0.0.1:6379' }, prefix })

t.teardown(async () => {
  const raw = state.connection!.command
  const keys = await raw.keys(`${prefix}*`)
  if (keys.length) await raw.del(...keys)
  await state.close()
})

t.test('a relay with a publicAddress registers it and advertises it in XOR-RELAYED-ADDRESS, binding on its own address', async (t) => {
  t.equal(config.regionById('eu-central')!.relays[0]!.publicAddress, PUBLIC, 'the config carries the public address')
  await state.ready()
  const logs: string[] = []
  const relay = await startRegionRelay({ config, region: 'eu-central', id: 'eu-nat', metrics: null, statePrefix: prefix, heartbeatMs: 60_000, heartbeatTtlMs: 600_000, log: (m) => logs.push(m) })
  t.teardown(() => relay.close())
  const port = relay.node.addresses.find((a) => a.transport === 'udp')!.port

  const entry = (await state.fleet.liveRelays()).find((r) => r.id === 'eu-nat')
  t.same(entry?.udp, [`${PUBLIC}:${port}`], 'the fleet lists the public address with the listening port (UDP)')
  t.same(entry?.tcp, [`${PUBLIC}:${relay.node.addresses.find((a) => a.transport === 'tcp')!.port}`], 'and TCP')
  t.match(logs.join('\n'), /behind 1:1 NAT: advertising 127\.0\.0\.77/, 'the start-up log says so')

  const m = newMeetingId('eu-central')
  await state.meetings.create({ id: m, tenantId: 't', residencyMode: 'region', allowedRegions: ['eu-central'], attendeePolicy: { mode: 'open', countries: [], unknown: 'allow' }, settings: OPEN_MEETING_SETTINGS, createdAt: Date.now() })
  await state.meetings.putParticipant(m, { id: 'p_a', identity: 'a', role: 'attendee', status: 'admitted', addresses: ['127.0.0.1'], node: 'test', joinedAt: Date.now() })
  const cred = mintTurnCredential({ secret: SECRET, meetingId: m, participantId: 'p_a', ttlSeconds: 600, now: Date.now })
  const client = await TurnClient.connect({ transport: 'udp', host: '127.0.0.1', port, username: cred.username, password: cred.password })
  t.teardown(() => client.close())
  const { relayed } = await client.allocate()
  t.equal(relayed.address, PUBLIC, 'the relayed transport address is the public one')
  const bound = [...relay.node.server.table.values()][0]!.relayed!
  t.same({ address: bound.address, port: bound.port }, { address: '127.0.0.1', port: relayed.port }, 'bound on the private address, on the advertised port')
})

t.test('a publicAddress host name is resolved once at start: one address per family, and a name that resolves to nothing refuses the start', async (t) => {
  t.same(await resolvePublicAddress('203.0.113.7'), ['203.0.113.7'], 'an IP is taken as it is')
  t.same(await resolvePublicAddress('2001:db8::7'), ['2001:db8::7'])
  const lookup = async (name: string) => (name === 'turn-a.example.net'
    ? [{ address: '203.0.113.7', family: 4 }, { address: '203.0.113.8', family: 4 }, { address: '2001:db8::7', family: 6 }]
    : [])
  t.same(await resolvePublicAddress('turn-a.example.net', lookup), ['203.0.113.7', '2001:db8::7'], 'the first of each family')
  await t.rejects(resolvePublicAddress('nothing.example.net', lookup), { code: 'ERR_RELAY_SETUP', message: /publicAddress "nothing\.example\.net" resolves to no address/ })
  await t.rejects(resolvePublicAddress('gone.example.net', async () => { throw new Error('getaddrinfo ENOTFOUND gone.example.net') }), { code: 'ERR_RELAY_SETUP', message: /does not resolve: getaddrinfo ENOTFOUND/ })
})

t.test('a relay with a TLS listener registers it under the certificate\'s name, relays over it, and a reload picks up a renewed certificate', async (t) => {
  const certs = await makeTestCertificates('localhost')
  t.teardown(() => certs.remove())
  const tlsYaml = testNetworkYaml([{ id: 'eu-central', country: 'DE', secret: SECRET, relays: ['eu-tls'] }])
    .replace('{ id: eu-tls, listen: ["127.0.0.1:0"] }', `{ id: eu-tls, listen: ["127.0.0.1:0"], tls: { listen: ["127.0.0.1:0"], cert: "${certs.certFile}", key: "${certs.keyFile}", name: localhost } }`)
  const tlsConfig = parseConfig({ source: 'tls-test', text: tlsYaml })
  await state.ready()
  const logs: string[] = []
  const relay = await startRegionRelay({ config: tlsConfig, region: 'eu-central', id: 'eu-tls', metrics: null, statePrefix: prefix, heartbeatMs: 60_000, heartbeatTtlMs: 600_000, log: (m) => logs.push(m) })
  t.teardown(() => relay.close())
  const tlsPort = relay.node.addresses.find((a) => a.transport === 'tls')!.port
  t.same((await state.fleet.liveRelays()).find((r) => r.id === 'eu-tls')?.tls, [`localhost:${tlsPort}`], 'the fleet lists localhost:<port>, the name a turns: client checks')

  const m = newMeetingId('eu-central')
  await state.meetings.create({ id: m, tenantId: 't', residencyMode: 'region', allowedRegions: ['eu-central'], attendeePolicy: { mode: 'open', countries: [], unknown: 'allow' }, settings: OPEN_MEETING_SETTINGS, createdAt: Date.now() })
  await state.meetings.putParticipant(m, { id: 'p_t', identity: 't', role: 'attendee', status: 'admitted', addresses: ['127.0.0.1'], node: 'test', joinedAt: Date.now() })
  const cred = mintTurnCredential({ secret: SECRET, meetingId: m, participantId: 'p_t', ttlSeconds: 600, now: Date.now })
  const client = await TurnClient.connect({ transport: 'tls', host: '127.0.0.1', port: tlsPort, ca: certs.ca, servername: 'localhost', username: cred.username, password: cred.password })
  t.teardown(() => client.close())
  t.equal((await client.allocate()).relayed.address, '127.0.0.1', 'a meeting-scoped credential allocates over TLS, with the residency policy in force')

  const renewed = await certs.renew()
  t.equal(await relay.reload(tlsConfig).tls, true, 'a reload re-reads the certificate files')
  const served = async (): Promise<string> => new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port: tlsPort, ca: certs.ca, servername: 'localhost' }, () => {
      resolve(s.getPeerX509Certificate()!.serialNumber)
      s.destroy()
    })
    s.once('error', reject)
  })
  t.match(logs.at(-1), /TLS certificate re-read from .*server\.pem/)

  await writeFile(certs.keyFile, 'not a key')
  t.equal(await relay.reload(tlsConfig).tls, false, 'a broken key file is refused on reload')
  t.match(logs.at(-1), /TLS certificate refused, the running one stays/)
  t.equal(await served(), new X509Certificate(renewed.cert).serialNumber, 'and the running certificate stays')
  t.equal(await served(), new X509Certificate(renewed.cert).serialNumber, 'after the reload, new connections get the renewed certificate')
})

