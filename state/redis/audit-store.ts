/** The audit stream: XADD with an approximate MAXLEN bound, XRANGE to read in order. */
import type { KeyBuilder } from '../keys.js'
import type { RedisConnection } from '../redis-connection.js'
import { auditFromFields, auditToFields, DEFAULT_AUDIT_MAX_LENGTH, type AuditStore } from '../audit.js'
import { guarded, type Guard } from './guard.js'

export function createRedisAuditStore(conn: RedisConnection, keys: KeyBuilder, guard: Guard, maxLength = DEFAULT_AUDIT_MAX_LENGTH): AuditStore {
  return {
    region: keys.region,
    append: (meetingId, event) =>
      guarded(guard, async () => {
        const id = await conn.command.xadd(keys.meeting(meetingId).audit, 'MAXLEN', '~', maxLength, '*', ...auditToFields(event))
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
