import t from 'tap'
import { LookupCache } from '../../geo/lookup-cache.js'

t.test('the cache never holds more than its capacity', async (t) => {
  const c = new LookupCache<number>(100)
  for (let i = 0; i < 10_000; i++) c.set(`k${i}`, i)
  t.ok(c.size <= 100, `size ${c.size}`)
})

t.test('recently used entries survive eviction and stale ones do not', async (t) => {
  const c = new LookupCache<number>(10)
  c.set('hot', 1)
  for (let i = 0; i < 100; i++) {
    c.set(`cold${i}`, i)
    t.equal(c.get('hot'), 1)
  }
  t.equal(c.get('cold0'), undefined)
  c.clear()
  t.equal(c.get('hot'), undefined)
})
