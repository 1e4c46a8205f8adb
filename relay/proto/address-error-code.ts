/**
 * ADDRESS-ERROR-CODE (RFC 8656 §18.12): which address family of a dual allocation failed
 * and why. Family (8 bits), 13 reserved bits, class (3 bits), number (8 bits), then a
 * reason phrase as in ERROR-CODE.
 */
import { StunDecodeError } from '../errors.js'
import { FAMILY_IPV4, FAMILY_IPV6 } from './address.js'
import { decodeErrorCode, encodeErrorCode } from './error-code.js'

export interface AddressErrorCodeValue {
  family: 4 | 6
  code: number
  reason: string
}

export function encodeAddressErrorCode(family: 4 | 6, code: number, reason?: string): Buffer {
  const out = encodeErrorCode(code, reason)
  out[0] = family === 4 ? FAMILY_IPV4 : FAMILY_IPV6
  return out
}

export function decodeAddressErrorCode(value: Buffer): AddressErrorCodeValue {
  if (value.length < 4) throw new StunDecodeError('ERR_STUN_BAD_ATTRIBUTE', `ADDRESS-ERROR-CODE of ${value.length} bytes`)
  const familyByte = value[0]
  if (familyByte !== FAMILY_IPV4 && familyByte !== FAMILY_IPV6) {
    throw new StunDecodeError('ERR_STUN_ADDRESS_FAMILY', `unknown address family 0x${(familyByte ?? 0).toString(16)}`)
  }
  // error-code.ts ignores the first reserved byte, which here holds the family.
  const { code, reason } = decodeErrorCode(value)
  return { family: familyByte === FAMILY_IPV4 ? 4 : 6, code, reason }
}
