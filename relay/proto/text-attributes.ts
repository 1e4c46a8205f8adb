/**
 * The UTF-8 text attributes and their limits:
 *   USERNAME (RFC 8489 §14.3): fewer than 509 bytes
 *   REALM (§14.9), NONCE (§14.10), SOFTWARE (§14.14): < 128 characters, ≤ 763 bytes
 */
import { StunDecodeError } from '../errors.js'

export const USERNAME_MAX_BYTES = 508
export const TEXT_MAX_CHARS = 127
export const TEXT_MAX_BYTES = 763

const decoder = new TextDecoder('utf-8', { fatal: true })

function countChars(s: string): number {
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0xd800 || c > 0xdbff) n++ // count code points, not UTF-16 units
  }
  return n
}

export function decodeUtf8Limited(value: Buffer, maxChars: number, maxBytes: number, what: string): string {
  if (value.length > maxBytes) {
    throw new StunDecodeError('ERR_STUN_ATTR_TOO_LONG', `${what} of ${value.length} bytes exceeds ${maxBytes}`)
  }
  // ASCII, which is what TURN usernames, realms and nonces are in practice, is UTF-8 as
  // it stands: no decoder needed, and one code point per byte.
  if (isAscii(value)) {
    if (value.length > maxChars) throw new StunDecodeError('ERR_STUN_ATTR_TOO_LONG', `${what} exceeds ${maxChars} characters`)
    return value.toString('latin1')
  }
  let text: string
  try {
    text = decoder.decode(value)
  } catch {
    // The only failure of a fatal TextDecoder is invalid UTF-8; it becomes our coded error.
    throw new StunDecodeError('ERR_STUN_BAD_ATTRIBUTE', `${what} is not valid UTF-8`)
  }
  if (countChars(text) > maxChars) {
    throw new StunDecodeError('ERR_STUN_ATTR_TOO_LONG', `${what} exceeds ${maxChars} characters`)
  }
  return text
}

function isAscii(value: Uint8Array): boolean {
  for (let i = 0; i < value.length; i++) if (value[i]! > 0x7f) return false
  return true
}

function encodeLimited(text: string, maxChars: number, maxBytes: number, what: string): Buffer {
  const out = Buffer.from(text, 'utf8')
  if (out.length > maxBytes || countChars(text) > maxChars) throw new RangeError(`${what} too long: ${text.length} characters`)
  return out
}

export const encodeUsername = (username: string): Buffer =>
  encodeLimited(username, USERNAME_MAX_BYTES, USERNAME_MAX_BYTES, 'USERNAME')
export const decodeUsername = (value: Buffer): string =>
  decodeUtf8Limited(value, USERNAME_MAX_BYTES, USERNAME_MAX_BYTES, 'USERNAME')

export const encodeRealm = (realm: string): Buffer => encodeLimited(realm, TEXT_MAX_CHARS, TEXT_MAX_BYTES, 'REALM')
export const decodeRealm = (value: Buffer): string => decodeUtf8Limited(value, TEXT_MAX_CHARS, TEXT_MAX_BYTES, 'REALM')

export const encodeNonce = (nonce: string): Buffer => encodeLimited(nonce, TEXT_MAX_CHARS, TEXT_MAX_BYTES, 'NONCE')
export const decodeNonce = (value: Buffer): string => decodeUtf8Limited(value, TEXT_MAX_CHARS, TEXT_MAX_BYTES, 'NONCE')

export const encodeSoftware = (software: string): Buffer =>
  encodeLimited(software, TEXT_MAX_CHARS, TEXT_MAX_BYTES, 'SOFTWARE')
export const decodeSoftware = (value: Buffer): string =>
  decodeUtf8Limited(value, TEXT_MAX_CHARS, TEXT_MAX_BYTES, 'SOFTWARE')
