import dgram from 'node:dgram'

import t, { type Test } from 'tap'

import { startRelayNode, type RelayNode } from '../../../relay/relay-node.js'
import { TurnClient, TurnError } from '../../support/turn-client.js'

const SECRET = 'node-secret-0123456789'

async function blockPort(): Promise<{ port: number; close(): Promise<void> }> {
  // A free even port whose successor is also free enough to try: the kernel's choice.
  for (;;) {
    const s = dgram.createSocket('udp4')
    await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()))
    const port = s.address().port
    if (port < 65535) return { port, close: () => new Promise((resolve) => s.close(() => resolve())) }
    s.close()
  }
}

async function client(t: Test, node: RelayNode, transport: 'udp' | 'tcp' = 'udp'): Promise<TurnClient> {
  const addr = node.addresses.find((a) => a.transport === transport)!
  const username = `${Math.floor(Date.now() / 1000) + 600}:node-test`
  const { createHmac } = await import('node:crypto')
  const c = await TurnClient.connect({ transport, host: addr.host, port: addr.port, username, password: createHmac('sha1', SECRET).update(username).digest('base64') })
  t.teardown(() => c.close())
  return c
}

t.test('a relay port the kernel refuses (EADDRINUSE) is skipped; with none left the Allocate is 508; a freed port is reused', async (t) => {
  const blocker = await blockPort()
  t.teardown(() => blocker.close())
  const node = await startRelayNode({ listen: ['127.0.0.1:0'], secrets: [SECRET], ports: { min: blocker.port, max: blocker.port + 1 } })
  t.teardown(() => node.close())
  const first = await client(t, node)
  const { relayed } = await first.allocate()
  t.equal(relayed.port, blocker.port + 1, 'the busy port was skipped')
  const second = await client(t, node)
  const err = await second.allocate().catch((e: unknown) => e)
  t.ok(err instanceof TurnError && err.code === 508, 'no port left')
  await first.refresh(0)
  t.equal((await second.allocate()).relayed.port, blocker.port + 1, 'the released port is used again')
  t.equal(node.sockets.stats.relaySockets, 1, 'exactly one relayed socket is open')
  t.equal(node.server.portsRefused, 1, 'the busy port was tried once, then kept out of the choice')
})

t.test('closing a TCP connection deletes its allocation and closes its relayed socket', async (t) => {
  const node = await startRelayNode({ listen: ['127.0.0.1:0'], secrets: [SECRET] })
  t.teardown(() => node.close())
  const deleted = new Promise<string>((resolve) => node.server.events.on('allocation-deleted', (_i, cause) => resolve(cause)))
  const c = await client(t, node, 'tcp')
  await c.allocate()
  t.equal(node.sockets.stats.relaySockets, 1)
  await c.close()
  t.equal(await deleted, 'connection-closed')
  t.equal(node.sockets.stats.relaySockets, 0)
  t.equal(node.server.table.size, 0)
})

t.test('close() is idempotent and releases every socket', async (t) => {
  const node = await startRelayNode({ listen: ['127.0.0.1:0'], secrets: [SECRET] })
  const c = await client(t, node)
  await c.allocate()
  await node.close()
  await node.close()
  t.equal(node.sockets.stats.relaySockets, 0)
  t.ok(node.sockets.closed)
})

t.test('a relayed socket deleted while its bind is in flight is closed once, when the bind completes', async (t) => {
  const node = await startRelayNode({ listen: ['127.0.0.1:0'], secrets: [SECRET] })
  t.teardown(() => node.close())
  const errors: unknown[] = []
  const onError = (e: unknown): void => {
    errors.push(e)
  }
  process.on('uncaughtException', onError)
  t.teardown(() => {
    process.off('uncaughtException', onError)
  })
  node.sockets.execute([
    { type: 'bind-relay', allocationId: 999_999, family: 4, address: '127.0.0.1', port: 0 },
    { type: 'close-relay', allocationId: 999_999 },
  ])
  // The bind callback runs on a later tick; a Binding round trip orders after it.
  const c = await client(t, node)
  await c.exchange((await import('../../support/stun-builder.js')).request(0x0001))
  t.same(errors, [])
  t.equal(node.sockets.stats.relaySockets, 0)
})
