/** FINGERPRINT (RFC 8489 §14.7): CRC-32 of the message up to the attribute, XOR 0x5354554e. */
import { Attr, HEADER_LENGTH } from './constants.js'
import { fingerprintOf } from './crc32.js'
import type { StunMessage } from './message.js'

export { crc32, fingerprintOf } from './crc32.js'

/**
 * True when the message ends with a FINGERPRINT that matches. §14.7: FINGERPRINT must be
 * the last attribute, so the header length already covers it and the CRC runs over raw.
 */
export function verifyFingerprint(msg: StunMessage): boolean {
  const raw = msg.raw
  const last = msg.attributes[msg.attributes.length - 1]
  if (!last || last.type !== Attr.Fingerprint || last.value.length !== 4) return false
  if (last.offset + 8 !== raw.length || last.offset < HEADER_LENGTH) return false
  return raw.readUInt32BE(last.offset + 4) === fingerprintOf(raw.subarray(0, last.offset))
}

/** True when the message carries a FINGERPRINT attribute (whether or not it matches). */
export function hasFingerprint(msg: StunMessage): boolean {
  for (const a of msg.attributes) if (a.type === Attr.Fingerprint) return true
  return false
}
