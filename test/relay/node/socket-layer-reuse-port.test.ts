import { createHmac } from 'node:crypto'

import t, { type Test } from 'tap'

import { startRelayNode, type RelayNode, type RelayNodeOptions } from '../../../relay/relay-node.js'
import { makeTestCertificates } from '../../support/tls-cert.js'
import { TurnClient } from '../../support/turn-client.js'

const SECRET = 'reuse-port-secret-0123456789'

async function allocateThrough(t: Test, transport: 'udp' | 'tcp' | 'tls', port: number, ca?: string): Promise<void> {
  const username = `${Math.floor(Date.now() / 1000) + 600}:reuse-port`
  const c = await TurnClient.connect({ transport, host: '127.0.0.1', port, username, password: createHmac('sha1', SECRET).update(username).digest('base64'), ...(ca ? { ca, servername: 'localhost' } : {}) })
  t.teardown(() => c.close())
  await c.allocate()
}

t.test('with reusePort two relay processes share one UDP, TCP and TLS port and the kernel spreads clients over both', async (t) => {
  const certs = await makeTestCertificates()
  t.teardown(() => certs.remove())
  const options = (listen: string, tlsListen: string, reusePort: boolean): RelayNodeOptions => ({ listen: [listen], secrets: [SECRET], reusePort, tls: { listen: [tlsListen], cert: certs.cert, key: certs.key } })
  const a = await startRelayNode(options('127.0.0.1:0', '127.0.0.1:0', true))
  t.teardown(() => a.close())
  const port = (n: RelayNode, transport: string) => n.addresses.find((x) => x.transport === transport)!.port
  const [turnPort, tlsPort] = [port(a, 'udp'), port(a, 'tls')]
  const b = await startRelayNode(options(`127.0.0.1:${turnPort}`, `127.0.0.1:${tlsPort}`, true))
  t.teardown(() => b.close())
  t.same([port(b, 'udp'), port(b, 'tcp'), port(b, 'tls')], [turnPort, turnPort, tlsPort], 'the second relay bound the same ports')

  // Each client has its own source port, so its own 5-tuple hash: 20 clients all landing
  // on one process would be a 1-in-500,000 event.
  for (let i = 0; i < 20; i++) await allocateThrough(t, 'udp', turnPort)
  t.ok(a.server.table.size > 0 && b.server.table.size > 0, `UDP allocations on both relays (${a.server.table.size} + ${b.server.table.size})`)
  t.equal(a.server.table.size + b.server.table.size, 20)
  await allocateThrough(t, 'tcp', turnPort)
  await allocateThrough(t, 'tls', tlsPort, certs.ca)
  t.equal(a.server.table.size + b.server.table.size, 22, 'TCP and TLS clients are served on the shared ports too')
})

t.test('without reusePort a second relay on a taken port fails to start (EADDRINUSE), as before', async (t) => {
  const a = await startRelayNode({ listen: ['127.0.0.1:0'], secrets: [SECRET], reusePort: true })
  t.teardown(() => a.close())
  const turnPort = a.addresses.find((x) => x.transport === 'udp')!.port
  await t.rejects(startRelayNode({ listen: [`127.0.0.1:${turnPort}`], secrets: [SECRET] }), { code: 'EADDRINUSE' })
})
