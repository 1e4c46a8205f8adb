/**
 * TURN over TLS (RFC 8656 §3.1, `turns:` of RFC 7065) on a relay node over real sockets:
 * a client that trusts the relay's CA allocates, permits, binds a channel and relays both
 * ways; a client that does not trust it gets nowhere and the failed handshake is counted;
 * plain TCP on the TLS port is refused by the handshake; a renewed certificate reaches new
 * connections without dropping the open ones.
 */
import { X509Certificate } from 'node:crypto'
import net from 'node:net'
import tls from 'node:tls'
import t from 'tap'

import { mintTurnCredential } from '../../../relay/auth/index.js'
import { startRelayNode, type RelayNode } from '../../../relay/relay-node.js'
import { newMeetingId, newParticipantId } from '../../../state/meeting-id.js'
import { makeTestCertificates } from '../../support/tls-cert.js'
import { TurnClient, echoPeer } from '../../support/turn-client.js'

const SECRET = 'tls-secret-0123456789'
const certs = await makeTestCertificates()
t.teardown(() => certs.remove())

const node: RelayNode = await startRelayNode({
  listen: ['127.0.0.1:0'], secrets: [SECRET], allowPeers: ['127.0.0.0/8'], metrics: '127.0.0.1:0',
  tls: { listen: ['127.0.0.1:0'], cert: certs.cert, key: certs.key },
})
t.teardown(() => node.close())
const tlsAddress = node.addresses.find((a) => a.transport === 'tls')!

const credential = () => mintTurnCredential({ secret: SECRET, meetingId: newMeetingId('test'), participantId: newParticipantId(), ttlSeconds: 600, now: Date.now })
const connect = async (o: { ca?: string } = { ca: certs.ca }): Promise<TurnClient> => {
  const cred = credential()
  const c = await TurnClient.connect({ transport: 'tls', host: '127.0.0.1', port: tlsAddress.port, servername: 'localhost', ...o, username: cred.username, password: cred.password })
  t.teardown(() => c.close())
  return c
}
const metric = async (name: string): Promise<number> => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(await (await fetch(`${node.metricsUrl}/metrics`)).text())?.[1])

t.test('the relay lists a TLS listener of its own next to UDP and TCP', async (t) => {
  t.same(node.addresses.map((a) => a.transport).sort(), ['tcp', 'tls', 'udp'])
  t.not(tlsAddress.port, node.addresses.find((a) => a.transport === 'tcp')!.port, 'on its own port')
})

t.test('over TLS: allocate, permit, channel-bind and relay both ways to an echo peer', async (t) => {
  const peer = await echoPeer('127.0.0.2')
  t.teardown(() => peer.close())
  const c = await connect()
  const { relayed, lifetime } = await c.allocate()
  t.equal(relayed.address, '127.0.0.1', 'the allocation relays over UDP as ever')
  t.equal(lifetime, 600)
  await c.createPermission(peer.address)
  c.sendIndication(peer.address, Buffer.from('via send indication'))
  t.equal((await c.nextData()).data.toString(), 'via send indication', 'a Data indication comes back through TLS')
  await c.channelBind(0x4001, peer.address)
  for (const size of [1, 3, 100, 1200]) {
    const payload = Buffer.alloc(size, size & 0xff)
    c.sendChannelData(0x4001, payload)
    t.same((await c.nextData((r) => r.channel === 0x4001)).data, payload, `${size} bytes round the channel (padded ChannelData over the stream)`)
  }
  t.equal(await metric('sovereign_relay_tcp_connections'), 1, 'an open TLS connection counts as a TCP connection')
})

t.test('a client that does not trust the certificate cannot connect, and the failed handshake is counted', async (t) => {
  const before = await metric('sovereign_relay_tls_handshake_failures_total')
  await t.rejects(connect({}), /unable to verify the first certificate|self-signed certificate in certificate chain|unable to get local issuer/, 'the client refuses the unknown CA')
  t.equal(await waitFor(async () => (await metric('sovereign_relay_tls_handshake_failures_total')) > before), true, 'the relay counts the aborted handshake')
})

t.test('plain TCP (a STUN request in the clear) on the TLS port is not TURN: the connection is closed', async (t) => {
  const before = await metric('sovereign_relay_tls_handshake_failures_total')
  const s = net.connect({ host: '127.0.0.1', port: tlsAddress.port })
  await new Promise((resolve) => s.once('connect', resolve))
  s.on('error', () => {}) // a reset is one way of being closed
  const binding = Buffer.from('000100002112a442' + '0102030405060708090a0b0c', 'hex')
  s.write(binding)
  await new Promise((resolve) => s.once('close', resolve))
  t.pass('closed by the relay')
  t.equal(await waitFor(async () => (await metric('sovereign_relay_tls_handshake_failures_total')) > before), true, 'counted as a failed handshake')
})

t.test('a renewed certificate reaches new connections; an open connection keeps relaying', async (t) => {
  const peer = await echoPeer('127.0.0.3')
  t.teardown(() => peer.close())
  const open = await connect()
  await open.allocate()
  await open.channelBind(0x4002, peer.address)
  const renewed = await certs.renew()
  node.setTlsCertificate(renewed.cert, renewed.key)
  const served = await new Promise<string>((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port: tlsAddress.port, ca: certs.ca, servername: 'localhost' }, () => {
      resolve(s.getPeerX509Certificate()!.serialNumber)
      s.destroy()
    })
    s.once('error', reject)
  })
  t.equal(served, new X509Certificate(renewed.cert).serialNumber, 'a new connection is served the renewed certificate')
  t.not(served, new X509Certificate(certs.cert).serialNumber)
  open.sendChannelData(0x4002, Buffer.from('still here'))
  t.equal((await open.nextData((r) => r.channel === 0x4002)).data.toString(), 'still here', 'the connection opened before the renewal still relays')
})

/** Polls `check` (a scrape) until true or 5 s: the relay counts a failed handshake when it notices it. */
async function waitFor(check: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + 5000
  while (Date.now() < deadline) {
    if (await check()) return true
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return false
}

t.test('a certificate that is not a usable PEM pair is refused with ERR_TLS_CERTIFICATE, at start and on renewal', async (t) => {
  await t.rejects(startRelayNode({ listen: ['127.0.0.1:0'], secrets: [SECRET], tls: { listen: ['127.0.0.1:0'], cert: 'not a certificate', key: certs.key } }), { code: 'ERR_TLS_CERTIFICATE' }, 'a relay does not start with a broken certificate')
  const other = await makeTestCertificates()
  t.teardown(() => other.remove())
  const current = await new Promise<string>((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port: tlsAddress.port, ca: certs.ca, servername: 'localhost' }, () => { resolve(s.getPeerX509Certificate()!.serialNumber); s.destroy() })
    s.once('error', reject)
  })
  t.throws(() => node.setTlsCertificate(certs.cert, other.key), { code: 'ERR_TLS_CERTIFICATE' }, 'a key that does not match the certificate is refused')
  const after = await new Promise<string>((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port: tlsAddress.port, ca: certs.ca, servername: 'localhost' }, () => { resolve(s.getPeerX509Certificate()!.serialNumber); s.destroy() })
    s.once('error', reject)
  })
  t.equal(after, current, 'the listener keeps the certificate it had')
})
