/**
 * The native engine's binding as the wrapper types it: bad arguments are clear errors,
 * unknown entries are a plain `false`/`undefined`, and close() is idempotent with every
 * later call refused by code (ERR_ENGINE_CLOSED) rather than crashing the process.
 */
import dgram from 'node:dgram'

import t from 'tap'

import { loadEngine, type NativeEngine } from '../../../relay/native/index.js'

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
