/**
 * ICMP (RFC 8656 §18.13): carries an ICMP error from the peer side to the client in a
 * Data indication. 9 reserved bits, ICMP type (7 bits, 0–127: only error types are
 * relayed), ICMP code (8 bits), then 32 bits of error data (e.g. the MTU of a
 * "fragmentation needed"/"packet too big").
 */
import { StunDecodeError } from '../errors.js'

export interface IcmpValue {
  type: number
  code: number
  errorData: number
}

export function encodeIcmp(icmp: IcmpValue): Buffer {
  if (!Number.isInteger(icmp.type) || icmp.type < 0 || icmp.type > 127) throw new RangeError(`ICMP type out of range: ${icmp.type}`)
  if (!Number.isInteger(icmp.code) || icmp.code < 0 || icmp.code > 255) throw new RangeError(`ICMP code out of range: ${icmp.code}`)
  const out = Buffer.alloc(8)
  out[2] = icmp.type
  out[3] = icmp.code
  out.writeUInt32BE(icmp.errorData >>> 0, 4)
  return out
}

export function decodeIcmp(value: Buffer): IcmpValue {
  if (value.length !== 8) throw new StunDecodeError('ERR_STUN_BAD_ATTRIBUTE', `ICMP of ${value.length} bytes`)
  return { type: value[2]! & 0x7f, code: value[3]!, errorData: value.readUInt32BE(4) }
}
