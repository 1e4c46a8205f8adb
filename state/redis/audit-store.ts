/**
 * The audit stream: XADD with an approximate MAXLEN bound, XRANGE to read in order.
 * Every append also goes to the region's decision feed (state/decision-feed.ts), here and
 * not in the callers, so relays' and control planes' decisions all reach it. The two keys
 * hash to different Cluster slots, so they cannot share a MULTI: both XADDs are sent
 * together (one round trip) and the append fails if either fails.
 */
import type { KeyBuilder } from '../keys.js'
import type { RedisConnection } from '../redis-connection.js'
import { auditFromFields, auditToFields, DEFAULT_AUDIT_MAX_LENGTH, type AuditStore } from '../audit.js'
import { DEFAULT_FEED_MAX_LENGTH, decisionToFields } from '../decision-feed.js'
import { guarded, type Guard } from './guard.js'

export function createRedisAuditStore(conn: RedisConnection, keys: KeyBuilder, guard: Guard, maxLength = DEFAULT_AUDIT_MAX_LENGTH, feedMaxLength = DEFAULT_FEED_MAX_LENGTH): AuditStore {
  const feed = keys.regionViews().decisions
  return {
    region: keys.region,
    append: (meetingId, event) =>
      guarded(guard, async () => {
        const stream = keys.meeting(meetingId).audit
        const [id] = await Promise.all([
          conn.command.xadd(stream, 'MAXLEN', '~', maxLength, '*', ...auditToFields(event)),
          conn.command.xadd(feed, 'MAXLEN', '~', feedMaxLength, '*', ...decisionToFields(meetingId, event)),
        ])
        return String(id)
      }),
    read: (meetingId, options = {}) =>
      guarded(guard, async () => {
        const key = keys.meeting(meetingId).audit
        const from = options.after === undefined ? '-' : `(${options.after}`
        const entries = options.count === undefined
          ? await conn.command.xrange(key, from, '+')
          : await conn.command.xrange(key, from, '+', 'COUNT', options.count)
        return entries.map(([id, fields]) => auditFromFields(id, fields))
      }),
  }
}
