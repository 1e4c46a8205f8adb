import t from 'tap'

import { TokenBucket } from '../../../relay/server/token-bucket.js'

t.test('a token bucket allows a burst, then the rate, and never more than the burst after idling', async (t) => {
  const b = new TokenBucket(1000, 0)
  t.ok(b.take(1000, 0))
  t.notOk(b.take(1, 0))
  t.ok(b.take(500, 500))
  t.notOk(b.take(1, 500))
  t.ok(b.take(1000, 100_000))
  t.notOk(b.take(1, 100_000), 'idle time does not accumulate beyond the burst')
})
