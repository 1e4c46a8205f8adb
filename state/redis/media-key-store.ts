/** The sealed media key in the meeting's slot of the home region's Redis. */
import type { KeyBuilder } from '../keys.js'
import type { RedisConnection } from '../redis-connection.js'
import type { MediaKeyStore } from '../media-keys.js'
import { REFUSAL_BY_CODE } from '../meetings.js'
import { runScript } from '../scripts.js'
import { StateError } from '../errors.js'
import { guarded, type Guard } from './guard.js'

export function createRedisMediaKeyStore(conn: RedisConnection, keys: KeyBuilder, guard: Guard, now: () => number): MediaKeyStore {
  return {
    region: keys.region,
    rotate: (meetingId, expectedEpoch, sealed) =>
      guarded(guard, async () => {
        const k = keys.meeting(meetingId)
        const createdAt = now()
        const r = Number(await runScript(conn.command, 'media-key-rotate', [k.mediaKey, k.meeting], [expectedEpoch, sealed, createdAt]))
        if (r < 0) {
          const refusal = REFUSAL_BY_CODE[r]
          if (!refusal) throw new StateError('ERR_STATE_COMMAND', `unexpected script result ${r}`)
          return { ok: false, refusal }
        }
        return { ok: true, value: { epoch: r, sealed, createdAt } }
      }),
    current: (meetingId) =>
      guarded(guard, async () => {
        const [epoch, sealed, createdAt] = await conn.command.hmget(keys.meeting(meetingId).mediaKey, 'epoch', 'sealed', 'createdAt')
        return epoch && sealed ? { epoch: Number(epoch), sealed, createdAt: Number(createdAt) } : undefined
      }),
  }
}
