/** The region's decision feed in Redis: a capped stream read newest-first or after an id. */
import type { KeyBuilder } from '../keys.js'
import type { RedisConnection } from '../redis-connection.js'
import { decisionFromFields, type DecisionFeed } from '../decision-feed.js'
import { guarded, type Guard } from './guard.js'

export function createRedisDecisionFeed(conn: RedisConnection, keys: KeyBuilder, guard: Guard): DecisionFeed {
  const key = keys.regionViews().decisions
  const redis = conn.command
  return {
    region: keys.region,
    latest: (count) =>
      guarded(guard, async () => {
        const entries = await redis.xrevrange(key, '+', '-', 'COUNT', count)
        return entries.reverse().map(([id, fields]) => decisionFromFields(id, fields))
      }),
    after: (afterId, count = 1000) =>
      guarded(guard, async () => {
        const entries = await redis.xrange(key, `(${afterId}`, '+', 'COUNT', count)
        return entries.map(([id, fields]) => decisionFromFields(id, fields))
      }),
  }
}
