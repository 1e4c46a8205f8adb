/** The HMACs behind MESSAGE-INTEGRITY (RFC 8489 §14.5) and MESSAGE-INTEGRITY-SHA256 (§14.6). */
import { hmac } from './hmac.js'

export function integrityHmacSha1(key: Buffer, data: Uint8Array): Buffer {
  return hmac('sha1', key, data)
}

export function integrityHmacSha256(key: Buffer, data: Uint8Array): Buffer {
  return hmac('sha256', key, data)
}
