/**
 * Meeting passcodes. Generated ones are 12 decimal digits drawn with `crypto.randomInt`
 * (uniform, no modulo bias): 10^12 ≈ 2^39.9, so about 40 bits. That is not a key: it is a
 * second factor next to the signed participant token, and guessing it is only possible
 * online, one join per attempt, each counted per identity and per meeting in the home
 * region (state/passcode-attempts.ts: backoff, then refusal). Passcodes the tenant gives
 * must be at least the region's minimum length (default 6). Digits because people read
 * them aloud.
 *
 * Comparison is constant-time over SHA-256 digests, so neither the content nor the length
 * of the real passcode leaks through timing.
 */
import { createHash, randomInt, timingSafeEqual } from 'node:crypto'

export const PASSCODE_DIGITS = 12
export const PASSCODE_ENTROPY_BITS = PASSCODE_DIGITS * Math.log2(10)

/** A passcode of `digits` decimal digits (12 by default; more when the region's minimum length asks for more). */
export function generatePasscode(digits = PASSCODE_DIGITS): string {
  let out = ''
  for (let i = 0; i < digits; i++) out += String(randomInt(10))
  return out
}

/** Default of `regions[].controlPlane.passcodes.minLength`: a 4-digit passcode falls to 10,000 guesses. */
export const DEFAULT_MIN_PASSCODE_LENGTH = 6

/**
 * The region's minimum passcode strength: at least `minLength` characters (code points,
 * so a passcode of emoji is not counted by its UTF-16 units). Returns what is wrong, or
 * undefined. The online guessing limit (state/passcode-attempts.ts) does the rest.
 */
export function passcodeWeakness(passcode: string, minLength: number): string | undefined {
  const length = [...passcode].length
  return length < minLength ? `${length} characters, at least ${minLength} required` : undefined
}

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest()

/** Constant-time equality of a presented passcode with the meeting's. Undefined never matches. */
export function passcodeMatches(expected: string, presented: string | undefined): boolean {
  if (presented === undefined) return false
  return timingSafeEqual(digest(expected), digest(presented))
}
