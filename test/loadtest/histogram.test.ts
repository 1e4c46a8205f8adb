import t from 'tap'

import { Histogram } from '../../loadtest/histogram.js'

t.test('values below twice the sub-bucket count are kept exactly', async (t) => {
  const h = new Histogram({ subBucketBits: 4 })
  for (let v = 0; v < 32; v++) t.equal(h.indexOf(v), v)
  for (let v = 0; v < 32; v++) t.same(h.bucketRange(v), [v, v])
})

t.test('every value falls inside the range of the bucket it maps to, within the relative error', async (t) => {
  const h = new Histogram({ subBucketBits: 7, maxValue: 2 ** 40 })
  let previous = -1
  for (let v = 0; v < 2 ** 40; v = Math.floor(v * 1.37) + 1) {
    const i = h.indexOf(v)
    const [low, high] = h.bucketRange(i)
    t.ok(low <= v && v <= high, `${v} in [${low}, ${high}]`)
    t.ok(high - low <= Math.max(0, v / 128), `bucket of ${v} no wider than 1/128 of it`)
    t.ok(i >= previous, 'indices never decrease as values grow')
    previous = i
  }
  // exact powers of two, where log2 rounding could slip a bucket
  for (let e = 8; e < 40; e++) {
    const v = 2 ** e
    const [low, high] = h.bucketRange(h.indexOf(v))
    t.ok(low <= v && v <= high, `2^${e} in its bucket`)
    const [low1, high1] = h.bucketRange(h.indexOf(v - 1))
    t.ok(low1 <= v - 1 && v - 1 <= high1, `2^${e}-1 in its bucket`)
  }
})

t.test('percentiles of 1..10000 match the exact ranks within the relative error', async (t) => {
  const h = new Histogram()
  const values = Array.from({ length: 10_000 }, (_, i) => i + 1)
  for (const v of values.sort(() => Math.random() - 0.5)) h.record(v)
  t.equal(h.count, 10_000)
  t.equal(h.min, 1)
  t.equal(h.max, 10_000)
  t.equal(h.mean, 5000.5)
  for (const [p, exact] of [[50, 5000], [90, 9000], [99, 9900], [99.9, 9990]] as const) {
    const got = h.percentile(p)
    t.ok(Math.abs(got - exact) <= exact / 128, `p${p} ≈ ${exact} (got ${got})`)
  }
  t.equal(h.percentile(0), 1)
  t.equal(h.percentile(100), 10_000)
})

t.test('one outlier in a thousand shows above p99.9 but not at p99.9 or below', async (t) => {
  const h = new Histogram()
  for (let i = 0; i < 999; i++) h.record(100)
  h.record(1_000_000)
  t.equal(h.percentile(50), 100)
  t.equal(h.percentile(99.9), 100)
  t.equal(h.percentile(99.95), h.max)
  t.equal(h.max, 1_000_000)
})

t.test('values above maxValue are clamped and counted', async (t) => {
  const h = new Histogram({ maxValue: 1000 })
  h.record(5000)
  h.record(-3)
  t.equal(h.clamped, 1)
  t.equal(h.max, 1000)
  t.equal(h.min, 0)
})

t.test('merging two histograms equals recording everything in one', async (t) => {
  const a = new Histogram()
  const b = new Histogram()
  const all = new Histogram()
  for (let i = 0; i < 5000; i++) {
    const v = Math.floor(Math.random() * 1e7)
    ;(i % 2 ? a : b).record(v)
    all.record(v)
  }
  a.merge(b)
  t.same(a.summary(), all.summary())
  t.throws(() => a.merge(new Histogram({ subBucketBits: 5 })), /different shapes/)
})

t.test('an empty histogram reports zeros', async (t) => {
  const h = new Histogram()
  t.same(h.summary(), { count: 0, min: 0, max: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0 })
})
