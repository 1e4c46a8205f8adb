/** LIFETIME (RFC 8656 §18.2): seconds until the allocation expires, a 32-bit unsigned integer. */
import { StunDecodeError } from '../errors.js'

export function encodeLifetime(seconds: number): Buffer {
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > 0xffffffff) throw new RangeError(`bad lifetime: ${seconds}`)
  const out = Buffer.alloc(4)
  out.writeUInt32BE(seconds, 0)
  return out
}

export function decodeLifetime(value: Buffer): number {
  if (value.length !== 4) throw new StunDecodeError('ERR_STUN_BAD_ATTRIBUTE', `LIFETIME of ${value.length} bytes`)
  return value.readUInt32BE(0)
}
