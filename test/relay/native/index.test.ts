/**
 * The native engine's binding as the wrapper types it: bad arguments are clear errors,
 * unknown entries are a plain `false`/`undefined`, and close() is idempotent with every
 * later call refused by code (ERR_ENGINE_CLOSED) rather than crashing the process.
 */
import dgram from 'node:dgram'
import { readdirSync } from 'node:fs'

import t from 'tap'

import { PACKET_FROM_PEER, loadEngine, type NativeEngine } from '../../../relay/native/index.js'

const load = loadEngine()
if (!load.ok) {
  t.comment(`the native addon is not loaded (${load.reason})`)
  t.pass('skipped: no native engine')
} else {
  const { Engine } = load
  const engine = (threads = 2): NativeEngine => {
    const e = new Engine(threads, () => {})
    t.teardown(() => e.close())
    return e
  }

  t.test('a constructor without a thread count and a callback, or with 0 threads, is refused', async (t) => {
    t.throws(() => new (Engine as unknown as new () => NativeEngine)(), { name: 'TypeError', message: /new Engine\(threads: number, onPackets: function\)/ })
    t.throws(() => new Engine(0, () => {}), { name: 'RangeError', message: /threads must be 1\.\.256/ })
  })

  t.test('bad addresses and ports are errno results or range errors, never a crash', async (t) => {
    const e = engine()
    t.equal(e.listen(4, 'not-an-ip', 0, 65536), -22, 'EINVAL for a host that is not an IPv4 literal')
    t.equal(e.listen(4, '::1', 0, 65536), -22, 'EINVAL for an address of the other family')
    t.throws(() => e.listen(4, '127.0.0.1', 70000, 0), { name: 'RangeError', message: /port must be an integer 0\.\.65535/ })
    t.throws(() => e.sendPeer(1, '127.0.0.1', 1.5, Buffer.alloc(1)), { name: 'RangeError' })
    t.throws(() => (e as unknown as { sendClient(...a: unknown[]): number }).sendClient('x', '127.0.0.1', 1, Buffer.alloc(1)), { name: 'TypeError', message: /sendClient\(listener, address, port, data\)/ })
    t.equal(e.bindRelay(1, 0, 4, '127.0.0.1', 0, 0, 1000), 0)
    t.equal(e.bindRelay(1, 0, 4, '127.0.0.1', 0, 0, 1000), -17, 'EEXIST for an allocation id bound twice')
    t.equal(e.setPermission(1, 'garbage', 1000), false)
    t.equal(e.setChannel(2, 0x4000, '127.0.0.2', 9, 1000), false, 'unknown allocation')
    t.equal(e.setClient(1, 99, '127.0.0.1', 9), false, 'unknown listener')
    t.equal(e.closeRelay(2), undefined, 'unknown allocation')
    t.same([...e.closeRelay(1)!], [0, 0, 0, 0, 0], 'the last counters of an allocation that moved nothing')
    t.equal(e.relaySockets, 0)
  })

  t.test('a relayed port another socket holds is EADDRINUSE', async (t) => {
    const holder = dgram.createSocket('udp4')
    await new Promise<void>((resolve) => holder.bind(0, '127.0.0.1', () => resolve()))
    t.teardown(() => new Promise<void>((resolve) => holder.close(() => resolve())))
    t.equal(engine().bindRelay(1, 0, 4, '127.0.0.1', holder.address().port, 0, 1000), -98)
  })

  t.test('relayed sockets closed under a flood from their peer: the port binds again at once, the engine keeps running, and no descriptor stays open', async (t) => {
    const fds = (): number => readdirSync('/proc/self/fd').length
    const fromPeer: number[] = []
    const e = new Engine(1, (_thread, meta, addresses) => {
      for (let i = 0; i < addresses.length; i++) if (meta[i * 6] === PACKET_FROM_PEER) fromPeer.push(meta[i * 6 + 1]!)
    })
    t.teardown(() => e.close())
    const probe = dgram.createSocket('udp4')
    await new Promise<void>((resolve) => probe.bind(0, '127.0.0.1', () => resolve()))
    const port = probe.address().port
    await new Promise<void>((resolve) => probe.close(() => resolve()))
    const peer = dgram.createSocket('udp4')
    await new Promise<void>((resolve) => peer.bind(0, '127.0.0.1', () => resolve()))
    t.teardown(() => new Promise<void>((resolve) => peer.close(() => resolve())))
    const before = fds()
    for (let round = 1; round <= 20; round++) {
      t.equal(e.bindRelay(round, 0, 4, '127.0.0.1', port, 0, 1e9), 0, `round ${round}: the port is free again`)
      // No permission: everything the peer sends is handed up (kind 1, the allocation's id).
      for (let k = 0; k < 20; k++) peer.send(Buffer.alloc(40, round), port, '127.0.0.1')
      await new Promise((resolve) => setTimeout(resolve, round % 4 === 0 ? 20 : 0))
      t.ok(e.closeRelay(round), `round ${round}: closed`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
    t.ok(fromPeer.some((id) => id === 4), 'the flood reached the relayed socket while it was open')
    t.equal(e.relaySockets, 0)
    t.ok(fds() <= before, 'every relayed socket was closed (20 were opened)')
    t.equal(e.bindRelay(99, 0, 4, '127.0.0.1', port, 0, 1e9), 0, 'the data thread still serves new sockets')
    peer.send(Buffer.alloc(40, 99), port, '127.0.0.1')
    await new Promise((resolve) => setTimeout(resolve, 50))
    t.ok(fromPeer.includes(99), 'and hands up what reaches them')
    t.ok(e.closeRelay(99))
  })

  t.test('close() is idempotent; after it every call is ERR_ENGINE_CLOSED or a no-op', async (t) => {
    const e = engine()
    const r = e.listen(4, '127.0.0.1', 0, 65536)
    t.ok(Array.isArray(r), 'listening')
    e.close()
    e.close()
    t.equal(e.threads, 0)
    t.throws(() => e.listen(4, '127.0.0.1', 0, 0), { code: 'ERR_ENGINE_CLOSED' })
    t.throws(() => e.sendClient(0, '127.0.0.1', 9, Buffer.alloc(1)), { code: 'ERR_ENGINE_CLOSED' })
    t.equal(e.closeRelay(1), undefined)
    t.same([...e.collect()], [])
    t.same(e.stats(), [])
  })
}
