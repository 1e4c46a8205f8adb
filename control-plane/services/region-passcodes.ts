/**
 * The passcode rules of this control plane's region (controlPlane.passcodes): how strong
 * a tenant's passcode must be, how long a generated one is, and how many wrong guesses
 * the region's counters allow. The schema's defaults apply when the region says nothing.
 */
import type { Region } from '../../config/network-config.js'
import type { PasscodeAttemptLimits } from '../../state/passcode-attempts.js'
import { sovereignError } from '../errors.js'
import { DEFAULT_MIN_PASSCODE_LENGTH, PASSCODE_DIGITS, generatePasscode, passcodeWeakness } from '../security/passcode.js'

/** Passcode guessing limits when the region's config says nothing (the schema's defaults). */
const DEFAULT_PASSCODE_LIMITS: PasscodeAttemptLimits = { windowMs: 900_000, freeFailures: 3, backoffMs: 1000, maxPerIdentity: 10, maxPerMeeting: 100 }

const minLength = (region: Region | undefined): number => region?.controlPlane.passcodes.minLength ?? DEFAULT_MIN_PASSCODE_LENGTH

/** Generated passcodes: 12 digits, or the region's minimum length when that is more. */
export function generateRegionPasscode(region: Region | undefined): string {
  return generatePasscode(Math.max(PASSCODE_DIGITS, minLength(region)))
}

/** A passcode the tenant gives must be as strong as the region asks (SR_PASSCODE_TOO_WEAK, 422). */
export function checkRegionPasscode(region: Region | undefined, passcode: string | undefined): void {
  if (passcode === undefined) return
  const weakness = passcodeWeakness(passcode, minLength(region))
  if (weakness !== undefined) throw sovereignError('SR_PASSCODE_TOO_WEAK', weakness)
}

export function passcodeLimitsOf(region: Region | undefined): PasscodeAttemptLimits {
  const p = region?.controlPlane.passcodes
  if (p === undefined) return DEFAULT_PASSCODE_LIMITS
  return { windowMs: p.windowSeconds * 1000, freeFailures: p.freeFailures, backoffMs: p.backoffSeconds * 1000, maxPerIdentity: p.maxFailuresPerIdentity, maxPerMeeting: p.maxFailuresPerMeeting }
}
