import t from 'tap'

import { PortPool } from '../../../relay/server/port-pool.js'

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
