import t from 'tap'

import { TokenBucket } from '../../../control-plane/signaling/token-bucket.js'

t.test('a bucket allows its burst, then refills at its rate on the injected clock', async (t) => {
  let now = 1_000
  const bucket = new TokenBucket({ ratePerSecond: 10, burst: 3, now: () => now })
  t.same([bucket.take(), bucket.take(), bucket.take(), bucket.take()], [true, true, true, false], 'three, then empty')
  now += 100
  t.equal(bucket.take(), true, 'one token after 100 ms at 10/s')
  t.equal(bucket.take(), false)
  now += 60_000
  t.same([bucket.take(), bucket.take(), bucket.take(), bucket.take()], [true, true, true, false], 'never more than the burst')
})

t.test('a bucket refuses nonsense settings', async (t) => {
  t.throws(() => new TokenBucket({ ratePerSecond: 0, burst: 1 }), RangeError)
  t.throws(() => new TokenBucket({ ratePerSecond: 1, burst: 0 }), RangeError)
})
