/** Wrong-passcode counters in process memory: the same rule as the Redis script, against the injected clock. */
import type { KeyBuilder } from '../keys.js'
import { decidePasscodeAttempt, liveCounter, type PasscodeAttemptStore } from '../passcode-attempts.js'
import { guarded, type Guard } from '../redis/guard.js'
import type { MemoryRegion } from './backend.js'

/** Above this many counters, expired ones are dropped (Redis drops them by TTL). */
const SWEEP_ABOVE = 4096

export function createMemoryPasscodeAttemptStore(mem: MemoryRegion, keys: KeyBuilder, guard: Guard): PasscodeAttemptStore {
  const counters = mem.passcodeFailures
  return {
    region: mem.region,
    attempt: (meetingId, participantId, limits) =>
      guarded(guard, async () => {
        const k = keys.passcodeAttempts(meetingId, participantId)
        const now = mem.now()
        if (counters.size > SWEEP_ABOVE) {
          for (const [key, counter] of counters) if (counter.expiresAt <= now) counters.delete(key)
        }
        const identity = liveCounter(counters.get(k.identity), now)
        const meeting = liveCounter(counters.get(k.meeting), now)
        const decision = decidePasscodeAttempt(identity, meeting, limits, now)
        if (!decision.ok) return decision
        counters.set(k.identity, { failures: identity.failures + 1, last: now, expiresAt: now + limits.windowMs })
        counters.set(k.meeting, { failures: meeting.failures + 1, last: now, expiresAt: now + limits.windowMs })
        return decision
      }),
    succeeded: (meetingId, participantId) =>
      guarded(guard, async () => {
        const k = keys.passcodeAttempts(meetingId, participantId)
        counters.delete(k.identity)
        const meeting = counters.get(k.meeting)
        if (meeting !== undefined && meeting.failures > 0) counters.set(k.meeting, { ...meeting, failures: meeting.failures - 1 })
      }),
  }
}
