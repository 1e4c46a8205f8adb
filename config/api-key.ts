/**
 * API keys: the config stores only their SHA-256 (hex), so a leaked config file grants
 * nothing. Keys are high-entropy random strings, which is why a plain, fast hash is the
 * right tool here (no salt or KDF needed, unlike passwords).
 *
 *   sk_live_<43 base64url chars = 256 random bits>
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

export type ApiKeyKind = 'live' | 'test' | 'admin'

const KEY_SHAPE = /^sk_(live|test|admin)_[A-Za-z0-9_-]{43}$/
const SHA256_HEX = /^[0-9a-f]{64}$/

export function generateApiKey(kind: ApiKeyKind = 'live'): string {
  return `sk_${kind}_${randomBytes(32).toString('base64url')}`
}

/** Whether a string has the shape generateApiKey produces (a cheap check before hashing). */
export function looksLikeApiKey(value: string): boolean {
  return KEY_SHAPE.test(value)
}

/** Lower-case hex SHA-256 of the key's UTF-8 bytes: the value that goes into the config. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex')
}

/** Compares two hex digests in constant time (for equal lengths; a length mismatch is not secret). */
export function sha256Equal(a: string, b: string): boolean {
  if (!SHA256_HEX.test(a) || !SHA256_HEX.test(b)) return false
  return timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'))
}

/** Whether `key` is the key whose hash the config holds, compared in constant time. */
export function apiKeyMatches(key: string, sha256: string): boolean {
  return sha256Equal(hashApiKey(key), sha256)
}
