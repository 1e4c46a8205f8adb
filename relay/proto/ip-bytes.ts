/**
 * IP address text ⇄ bytes for the address attributes (RFC 8489 §14.1, §14.2), on the
 * project's one parser (geo/address/ip-address.ts): a bare literal only, IPv4 a strict
 * dotted quad, IPv6 per RFC 4291 §2.2 with `::a.b.c.d` kept IPv4-compatible. IPv6 text
 * is RFC 5952 form, with IPv4-mapped addresses written `::ffff:a.b.c.d` as Node's
 * sockets do.
 */
import { formatIp, parseIp, parseIpv4Into } from '../../geo/address/ip-address.js'

export type AddressFamily = 4 | 6

export interface TransportAddress {
  family: AddressFamily
  address: string
  port: number
}

// Parsing never allocates; one scratch buffer serves every call (the codec is synchronous).
const scratch = new Uint8Array(16)

/** Writes the 4 bytes of a dotted-quad into out at offset; false when not a valid IPv4. */
export function writeIpv4(address: string, out: Buffer, offset: number): boolean {
  return parseIpv4Into(address, out, offset)
}

export function ipv4ToString(buf: Buffer, offset: number): string {
  return `${buf[offset]}.${buf[offset + 1]}.${buf[offset + 2]}.${buf[offset + 3]}`
}

/** Writes the 16 bytes of an IPv6 address; false when not valid IPv6 text (no zone id, no brackets). */
export function writeIpv6(address: string, out: Buffer | Uint8Array, offset: number): boolean {
  if (parseIp(address, scratch) !== 6) return false
  out.set(scratch, offset)
  return true
}

export function ipv6ToString(buf: Buffer, offset: number): string {
  return formatIp(6, buf.subarray(offset, offset + 16))
}
