import t from 'tap'

import { PortPool, REFUSED_PORT_MS } from '../../../relay/server/port-pool.js'

t.test('the port pool hands out each port once, honours even-port requests, and refuses when full', async (t) => {
  const pool = new PortPool(50000, 50003, () => 0.6)
  const got = [pool.acquire(), pool.acquire(), pool.acquire(), pool.acquire()]
  t.same([...got].sort(), [50000, 50001, 50002, 50003])
  t.equal(pool.acquire(), undefined)
  pool.release(50001)
  t.equal(pool.acquire(true), undefined, 'only an odd port is free')
  pool.release(50002)
  t.equal(pool.acquire(true), 50002)
})

t.test('a port range that is empty or out of bounds is refused at construction', async (t) => {
  t.throws(() => new PortPool(5000, 4000), { code: 'ERR_RELAY_SETUP', message: /invalid relay port range 5000-4000/ })
  t.throws(() => new PortPool(0, 10), { code: 'ERR_RELAY_SETUP' })
})

t.test('a port the kernel refused is not proposed again until its time is up, and then is', async (t) => {
  let now = 1_000
  const pool = new PortPool(50000, 50001, () => 0, () => now)
  t.equal(pool.acquire(), 50000)
  pool.refuse(50000)
  t.equal(pool.refusedCount, 1)
  t.equal(pool.inUse, 0, 'a refused port is not one of ours')
  t.equal(pool.acquire(), 50001, 'the walk skips the refused port')
  t.equal(pool.acquire(), undefined, 'the refused port is still out')
  now += REFUSED_PORT_MS
  t.equal(pool.acquire(), 50000, 'back in the choice once its time is up')
  t.equal(pool.refusedCount, 0)
  t.equal(pool.inUse, 2)
})

t.test('releasing a refused port hands it back at once', async (t) => {
  const pool = new PortPool(50000, 50000, () => 0, () => 0)
  pool.refuse(50000)
  t.equal(pool.acquire(), undefined)
  pool.release(50000)
  t.equal(pool.acquire(), 50000)
})
