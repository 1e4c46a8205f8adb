/**
 * REQUESTED-ADDRESS-FAMILY (RFC 8656 §18.10) and ADDITIONAL-ADDRESS-FAMILY (§18.11):
 * one family byte (0x01 IPv4, 0x02 IPv6) then 3 RFFU bytes. An unknown family throws
 * ERR_STUN_ADDRESS_FAMILY, which the server answers with 440.
 */
import { StunDecodeError } from '../errors.js'
import { FAMILY_IPV4, FAMILY_IPV6 } from './address.js'

export function encodeRequestedAddressFamily(family: 4 | 6): Buffer {
  const out = Buffer.alloc(4)
  out[0] = family === 4 ? FAMILY_IPV4 : FAMILY_IPV6
  return out
}

export function decodeRequestedAddressFamily(value: Buffer): 4 | 6 {
  if (value.length !== 4) throw new StunDecodeError('ERR_STUN_BAD_ATTRIBUTE', `address family attribute of ${value.length} bytes`)
  if (value[0] === FAMILY_IPV4) return 4
  if (value[0] === FAMILY_IPV6) return 6
  throw new StunDecodeError('ERR_STUN_ADDRESS_FAMILY', `unknown address family 0x${value[0]!.toString(16)}`)
}

/** §18.11: ADDITIONAL-ADDRESS-FAMILY may only ask for IPv6; IPv4 there is a 400. */
export const encodeAdditionalAddressFamily = (): Buffer => encodeRequestedAddressFamily(6)

export function decodeAdditionalAddressFamily(value: Buffer): 6 {
  const family = decodeRequestedAddressFamily(value)
  if (family !== 6) throw new StunDecodeError('ERR_STUN_BAD_ATTRIBUTE', 'ADDITIONAL-ADDRESS-FAMILY must be IPv6')
  return family
}
