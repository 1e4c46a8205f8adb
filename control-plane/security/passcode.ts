/**
 * Meeting passcodes. Generated ones are 12 decimal digits drawn with `crypto.randomInt`
 * (uniform, no modulo bias): 10^12 ≈ 2^39.9, so about 40 bits. That is not a key: it is a
 * second factor next to the signed participant token, and guessing it is only possible
 * online, one join per attempt, behind the join rate limit (a botnet at 1,000 tries/s
 * would need ~16 years on average per meeting). Digits because people read them aloud.
 *
 * Comparison is constant-time over SHA-256 digests, so neither the content nor the length
 * of the real passcode leaks through timing.
 */
import { createHash, randomInt, timingSafeEqual } from 'node:crypto'

export const PASSCODE_DIGITS = 12
export const PASSCODE_ENTROPY_BITS = PASSCODE_DIGITS * Math.log2(10)

export function generatePasscode(): string {
  let out = ''
  for (let i = 0; i < PASSCODE_DIGITS; i++) out += String(randomInt(10))
  return out
}

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest()

/** Constant-time equality of a presented passcode with the meeting's. Undefined never matches. */
export function passcodeMatches(expected: string, presented: string | undefined): boolean {
  if (presented === undefined) return false
  return timingSafeEqual(digest(expected), digest(presented))
}
