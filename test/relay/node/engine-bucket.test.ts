import t from 'tap'

import { EngineBucket } from '../../../relay/node/engine-bucket.js'
import { TokenBucket } from '../../../relay/server/token-bucket.js'

t.test('the engine answers for an allocation it holds: its bucket decides, the fallback is not touched', async (t) => {
  const asked: [number, number][] = []
  let answer = 1
  const fallback = new TokenBucket(1000, 0)
  const bucket = new EngineBucket({ takeTokens: (id, bytes) => (asked.push([id, bytes]), answer) }, 7, fallback)
  t.equal(bucket.take(300, 0), true)
  answer = 0
  t.equal(bucket.take(300, 0), false, 'refused by the engine')
  t.same(asked, [[7, 300], [7, 300]])
  t.equal(fallback.tokens, 1000, 'the allocation\'s own bucket stayed full')
})

t.test('once the engine no longer knows the allocation, its own bucket answers', async (t) => {
  const fallback = new TokenBucket(1000, 0)
  const bucket = new EngineBucket({ takeTokens: () => -1 }, 7, fallback)
  t.equal(bucket.take(600, 0), true)
  t.equal(bucket.take(600, 0), false, 'the fallback bucket has 400 left')
  t.equal(fallback.tokens, 400)
})
