/** Wrong-passcode counters in the meeting's slot of the home region's Redis (one script per step). */
import type { KeyBuilder } from '../keys.js'
import type { AttemptDecision, PasscodeAttemptStore } from '../passcode-attempts.js'
import type { RedisConnection } from '../redis-connection.js'
import { runScript } from '../scripts.js'
import { StateError } from '../errors.js'
import { guarded, type Guard } from './guard.js'

export function createRedisPasscodeAttemptStore(conn: RedisConnection, keys: KeyBuilder, guard: Guard, now: () => number): PasscodeAttemptStore {
  return {
    region: keys.region,
    attempt: (meetingId, participantId, limits) =>
      guarded(guard, async (): Promise<AttemptDecision> => {
        const k = keys.passcodeAttempts(meetingId, participantId)
        const reply = await runScript(conn.command, 'passcode-attempt', [k.identity, k.meeting], [
          now(), limits.windowMs, limits.freeFailures, limits.backoffMs, limits.maxPerIdentity, limits.maxPerMeeting,
        ])
        const [code, retryAfterMs] = (reply as unknown[]).map(Number)
        if (code === 0) return { ok: true }
        if ((code === 1 || code === 2) && retryAfterMs !== undefined && retryAfterMs > 0) {
          return { ok: false, scope: code === 1 ? 'identity' : 'meeting', retryAfterMs }
        }
        throw new StateError('ERR_STATE_COMMAND', `unexpected passcode-attempt result ${JSON.stringify(reply)}`)
      }),
    succeeded: (meetingId, participantId) =>
      guarded(guard, async () => {
        const k = keys.passcodeAttempts(meetingId, participantId)
        await runScript(conn.command, 'passcode-succeeded', [k.identity, k.meeting], [])
      }),
  }
}
