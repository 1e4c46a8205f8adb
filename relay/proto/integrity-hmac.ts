/** The HMACs behind MESSAGE-INTEGRITY (RFC 8489 §14.5) and MESSAGE-INTEGRITY-SHA256 (§14.6). */
import { createHmac } from 'node:crypto'

export function integrityHmacSha1(key: Buffer, data: Uint8Array): Buffer {
  return createHmac('sha1', key).update(data).digest()
}

export function integrityHmacSha256(key: Buffer, data: Uint8Array): Buffer {
  return createHmac('sha256', key).update(data).digest()
}
