/**
 * The meeting index in Redis: one sorted set per region, member = meeting id, score =
 * when the entry leaves (+inf while the meeting runs). Each call is one MULTI on that
 * one key (one slot on Cluster): write or prune, then bound or read.
 */
import type { KeyBuilder } from '../keys.js'
import type { RedisConnection } from '../redis-connection.js'
import { StateError } from '../errors.js'
import { DEFAULT_INDEX_MAX_ENTRIES, DEFAULT_INDEX_RETENTION_MS, type IndexedMeeting, type MeetingIndex, type MeetingIndexOptions } from '../meeting-index.js'
import { guarded, type Guard } from './guard.js'

type ExecResult = [Error | null, unknown][] | null

/** The replies of a MULTI, or the first error in it (EXEC does not throw for a failed command). */
export function execReplies(res: ExecResult): unknown[] {
  if (!res) throw new StateError('ERR_STATE_COMMAND', 'transaction aborted')
  for (const [err] of res) if (err) throw err
  return res.map(([, reply]) => reply)
}

export function createRedisMeetingIndex(conn: RedisConnection, keys: KeyBuilder, guard: Guard, now: () => number, options: MeetingIndexOptions = {}): MeetingIndex {
  const key = keys.regionViews().meetings
  const max = options.maxEntries ?? DEFAULT_INDEX_MAX_ENTRIES
  const redis = conn.command
  // The same home-region check as every meeting key (guarantee 4): throws for a foreign id.
  const homed = (meetingId: string) => void keys.meeting(meetingId)
  return {
    region: keys.region,
    add: (meetingId) =>
      guarded(guard, async () => {
        homed(meetingId)
        execReplies(await redis.multi().zadd(key, '+inf', meetingId).zremrangebyrank(key, 0, -(max + 1)).exec())
      }),
    ended: (meetingId, endedAt, retentionMs = options.retentionMs ?? DEFAULT_INDEX_RETENTION_MS) =>
      guarded(guard, async () => {
        homed(meetingId)
        execReplies(await redis.multi().zadd(key, endedAt + retentionMs, meetingId).zremrangebyrank(key, 0, -(max + 1)).exec())
      }),
    remove: (meetingId) =>
      guarded(guard, async () => {
        homed(meetingId)
        await redis.zrem(key, meetingId)
      }),
    list: (limit = max) =>
      guarded(guard, async () => {
        const t = now()
        const [, flat] = execReplies(await redis.multi()
          .zremrangebyscore(key, '-inf', t)
          .zrevrangebyscore(key, '+inf', `(${t}`, 'WITHSCORES', 'LIMIT', 0, limit)
          .exec()) as [number, string[]]
        const out: IndexedMeeting[] = []
        for (let i = 0; i + 1 < flat.length; i += 2) {
          const score = flat[i + 1]!
          out.push(score === 'inf' ? { meetingId: flat[i]! } : { meetingId: flat[i]!, expiresAt: Number(score) })
        }
        return out
      }),
  }
}
