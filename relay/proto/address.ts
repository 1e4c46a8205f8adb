/**
 * MAPPED-ADDRESS and ALTERNATE-SERVER (RFC 8489 §14.1, §14.15): the plain address form.
 *   0: reserved | 1: family (0x01 IPv4, 0x02 IPv6) | 2–3: port | 4–: address
 */
import { StunDecodeError } from '../errors.js'
import { type TransportAddress, ipv4ToString, ipv6ToString, writeIpv4, writeIpv6 } from './ip-bytes.js'

export type { AddressFamily, TransportAddress } from './ip-bytes.js'

export const FAMILY_IPV4 = 0x01
export const FAMILY_IPV6 = 0x02

export function encodeAddress(addr: TransportAddress): Buffer {
  const out = Buffer.alloc(addr.family === 4 ? 8 : 20)
  out[1] = addr.family === 4 ? FAMILY_IPV4 : FAMILY_IPV6
  out.writeUInt16BE(checkPort(addr.port), 2)
  const ok = addr.family === 4 ? writeIpv4(addr.address, out, 4) : writeIpv6(addr.address, out, 4)
  if (!ok) throw new RangeError(`not an IPv${addr.family} address: ${addr.address}`)
  return out
}

export function decodeAddress(value: Buffer): TransportAddress {
  const family = checkFamily(value)
  const port = value.readUInt16BE(2)
  return family === 4
    ? { family, address: ipv4ToString(value, 4), port }
    : { family, address: ipv6ToString(value, 4), port }
}

export function checkPort(port: number): number {
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) throw new RangeError(`bad port: ${port}`)
  return port
}

/** Validates the family byte and the value length; shared with the XOR form. */
export function checkFamily(value: Buffer): 4 | 6 {
  if (value.length < 4) throw new StunDecodeError('ERR_STUN_BAD_ATTRIBUTE', `address attribute too short: ${value.length}`)
  const family = value[1]
  if (family === FAMILY_IPV4) {
    if (value.length !== 8) throw new StunDecodeError('ERR_STUN_BAD_ATTRIBUTE', `IPv4 address attribute of ${value.length} bytes`)
    return 4
  }
  if (family === FAMILY_IPV6) {
    if (value.length !== 20) throw new StunDecodeError('ERR_STUN_BAD_ATTRIBUTE', `IPv6 address attribute of ${value.length} bytes`)
    return 6
  }
  throw new StunDecodeError('ERR_STUN_ADDRESS_FAMILY', `unknown address family 0x${(family ?? 0).toString(16)}`)
}
