/**
 * Wrong-passcode counting (issue 9, item 4): how many passcode tries an identity, and a
 * whole meeting, may make before they are slowed down and then refused. Kept in the
 * meeting's home region, so every control-plane node of the region counts together.
 *
 * An attempt is taken BEFORE the passcode is compared and counted as a failure at once;
 * a right passcode then gives it back (`succeeded`). So a hundred joins sent at once by
 * one identity cannot all be compared: each has to take an attempt first, atomically.
 *
 * The rule (`decidePasscodeAttempt`, mirrored by scripts/passcode-attempt-2.lua):
 *   - an identity with `maxPerIdentity` failures, or a meeting with `maxPerMeeting`, is
 *     refused until its counter expires (`windowMs` after its last failure);
 *   - after `freeFailures` failures an identity waits `backoffMs`, doubling per further
 *     failure (capped at the window), after its last failure before its next try.
 * Expiry is judged against the injected clock (stored with the counter); Redis TTLs only
 * clean up.
 */

export interface PasscodeAttemptLimits {
  readonly windowMs: number
  readonly freeFailures: number
  readonly backoffMs: number
  readonly maxPerIdentity: number
  readonly maxPerMeeting: number
}

/** A counter as stored: failures, the time of the last one, and when it is forgotten (ms). */
export interface FailureCounter {
  readonly failures: number
  readonly last: number
  readonly expiresAt: number
}

export type AttemptDecision =
  | { readonly ok: true }
  | { readonly ok: false; readonly scope: 'identity' | 'meeting'; readonly retryAfterMs: number }

const NONE: FailureCounter = { failures: 0, last: 0, expiresAt: 0 }

/** A counter that has expired counts as none. */
export function liveCounter(counter: FailureCounter | undefined, now: number): FailureCounter {
  return counter === undefined || counter.expiresAt <= now ? NONE : counter
}

/** How long an identity with `failures` failures waits after its last one (0: no wait). */
export function backoffAfter(failures: number, limits: PasscodeAttemptLimits): number {
  if (failures < limits.freeFailures || limits.backoffMs <= 0) return 0
  return Math.min(limits.windowMs, limits.backoffMs * 2 ** (failures - limits.freeFailures))
}

/** May one more attempt be taken now? Pure; the stores apply it atomically. */
export function decidePasscodeAttempt(identity: FailureCounter, meeting: FailureCounter, limits: PasscodeAttemptLimits, now: number): AttemptDecision {
  if (identity.failures >= limits.maxPerIdentity) return { ok: false, scope: 'identity', retryAfterMs: Math.max(1, identity.expiresAt - now) }
  if (meeting.failures >= limits.maxPerMeeting) return { ok: false, scope: 'meeting', retryAfterMs: Math.max(1, meeting.expiresAt - now) }
  const wait = identity.last + backoffAfter(identity.failures, limits) - now
  if (identity.failures > 0 && wait > 0) return { ok: false, scope: 'identity', retryAfterMs: wait }
  return { ok: true }
}

export interface PasscodeAttemptStore {
  readonly region: string
  /**
   * Takes one attempt for `participantId` (derived from the identity) in a meeting homed
   * here, counted as a failure of both the identity and the meeting, unless the decision
   * above refuses it.
   */
  attempt(meetingId: string, participantId: string, limits: PasscodeAttemptLimits): Promise<AttemptDecision>
  /** The passcode was right: the identity's failures are forgotten, and the meeting's count gives the attempt back. */
  succeeded(meetingId: string, participantId: string): Promise<void>
}
