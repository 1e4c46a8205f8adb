import t from 'tap'
import { conformance } from './support/conformance.js'
import { redisHarness } from './support/redis-harness.js'
import { regionViewsConformance, viewsHarness } from './support/region-views-conformance.js'

t.test('the Redis store on a standalone Redis (127.0.0.1:6379, unique prefix)', async (t) => {
  conformance(t, async () => {
    const h = redisHarness({ url: 'redis://127.0.0.1:6379' })
    return h
  })
})

t.test('the region views (meeting index, decision feed) on a standalone Redis', async (t) => {
  regionViewsConformance(t, () => viewsHarness({ url: 'redis://127.0.0.1:6379' }))
})
