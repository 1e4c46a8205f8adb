import t from 'tap'

import { TokenBucket, TokenBuckets } from '../../../control-plane/signaling/token-bucket.js'

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

t.test('a refused take is reported, an allowed one is not', async (t) => {
  let refused = 0
  const bucket = new TokenBucket({ ratePerSecond: 1, burst: 2, now: () => 0, onEmpty: () => refused++ })
  bucket.take()
  bucket.take()
  t.equal(refused, 0)
  bucket.take()
  t.equal(refused, 1)
})

t.test('keyed buckets limit each key on its own', async (t) => {
  let now = 0
  const buckets = new TokenBuckets({ now: () => now })
  t.same([buckets.take('a', 1, 2), buckets.take('a', 1, 2), buckets.take('a', 1, 2)], [true, true, false], 'a spends its burst')
  t.equal(buckets.take('b', 1, 2), true, 'b is untouched by a')
  now += 1000
  t.equal(buckets.take('a', 1, 2), true, 'a refills at its rate')
  t.equal(buckets.take('a', 1, 2), false)
})

t.test('keyed buckets forget the least recently used key past their bound', async (t) => {
  const buckets = new TokenBuckets({ now: () => 0, maxKeys: 2 })
  buckets.take('a', 1, 1)
  buckets.take('b', 1, 1)
  t.equal(buckets.take('a', 1, 1), false, 'a is empty and now the most recent')
  buckets.take('c', 1, 1)
  t.equal(buckets.size, 2, 'never more keys than the bound')
  t.equal(buckets.take('a', 1, 1), false, 'a was kept (b was the least recent)')
  t.equal(buckets.take('b', 1, 1), true, 'b was forgotten and starts full')
})
