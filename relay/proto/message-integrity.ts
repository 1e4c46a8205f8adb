/**
 * MESSAGE-INTEGRITY (RFC 8489 §14.5) and MESSAGE-INTEGRITY-SHA256 (§14.6) with the
 * long-term credential key (§9.2.2).
 *
 * Verification hashes the message in place: the header with its length field rewritten
 * to end at the integrity attribute, then the bytes up to the attribute — no copy of the
 * message is made.
 */
import { timingSafeEqual } from 'node:crypto'
import { Attr, HEADER_LENGTH } from './constants.js'
import { hmacOf } from './hmac.js'
import { textDigest } from './text-digest.js'
import type { StunMessage } from './message.js'

/**
 * RFC 8489 §9.2.2: key = MD5(username ":" OpaqueString(realm) ":" OpaqueString(password)).
 * OpaqueString (RFC 8265) is the identity for the ASCII usernames and base64 passwords
 * of TURN REST credentials, so no PRECIS profile is applied here.
 */
export function longTermKey(username: string, realm: string, password: string): Buffer {
  return textDigest('md5', `${username}:${realm}:${password}`)
}

/** RFC 8489 §9.2.2 with PASSWORD-ALGORITHM SHA-256: key = SHA-256(username ":" realm ":" password). */
export function longTermKeySha256(username: string, realm: string, password: string): Buffer {
  return textDigest('sha256', `${username}:${realm}:${password}`)
}

/** The short-term credential key is the password itself (RFC 8489 §9.1.1). */
export function shortTermKey(password: string): Buffer {
  return Buffer.from(password, 'utf8')
}

const lengthField = Buffer.alloc(2)

function hmacUpTo(algorithm: 'sha1' | 'sha256', key: Buffer, raw: Buffer, offset: number, attrTotal: number): Buffer {
  lengthField.writeUInt16BE(offset + attrTotal - HEADER_LENGTH, 0)
  return hmacOf(algorithm, key, [raw.subarray(0, 2), lengthField, raw.subarray(4, offset)])
}

/** True when the message carries a MESSAGE-INTEGRITY that the key verifies. */
export function verifyMessageIntegrity(msg: StunMessage, key: Buffer): boolean {
  let attr
  for (const a of msg.attributes) {
    if (a.type === Attr.MessageIntegrity) {
      attr = a
      break
    }
  }
  if (!attr || attr.value.length !== 20) return false
  const expected = hmacUpTo('sha1', key, msg.raw, attr.offset, 24)
  return timingSafeEqual(expected, attr.value)
}

/**
 * True when the message carries a MESSAGE-INTEGRITY-SHA256 that the key verifies.
 * §14.6: the value may be truncated to 16–32 bytes in steps of 4; the prefix is compared.
 */
export function verifyMessageIntegritySha256(msg: StunMessage, key: Buffer): boolean {
  let attr
  for (const a of msg.attributes) {
    if (a.type === Attr.MessageIntegritySha256) {
      attr = a
      break
    }
  }
  if (!attr) return false
  const n = attr.value.length
  if (n < 16 || n > 32 || (n & 3) !== 0) return false
  const expected = hmacUpTo('sha256', key, msg.raw, attr.offset, 4 + n)
  return timingSafeEqual(expected.subarray(0, n), attr.value)
}

/** True when the message has a MESSAGE-INTEGRITY (SHA-1 or SHA-256) attribute at all. */
export function hasMessageIntegrity(msg: StunMessage): boolean {
  for (const a of msg.attributes) {
    if (a.type === Attr.MessageIntegrity || a.type === Attr.MessageIntegritySha256) return true
  }
  return false
}
