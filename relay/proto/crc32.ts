/**
 * CRC-32 (ISO-HDLC, as in zlib) for FINGERPRINT (RFC 8489 §14.7): zlib's own, in Node
 * since 22.2 / 20.15 and always there on the Node 24 this project runs (engines >=22.12),
 * so no table-driven fallback in JavaScript.
 */
import { crc32 as zlibCrc32 } from 'node:zlib'
import { FINGERPRINT_XOR } from './constants.js'

export function crc32(data: Uint8Array): number {
  return zlibCrc32(data) >>> 0
}

/** The FINGERPRINT value of the bytes preceding the attribute. */
export function fingerprintOf(precedingBytes: Uint8Array): number {
  return (crc32(precedingBytes) ^ FINGERPRINT_XOR) >>> 0
}
