/**
 * XOR-MAPPED-ADDRESS, XOR-PEER-ADDRESS, XOR-RELAYED-ADDRESS (RFC 8489 §14.2, RFC 8656
 * §18.3, §18.5): the port is XOR-ed with the top 16 bits of the magic cookie, the address
 * with the cookie (IPv4) or the cookie followed by the transaction id (IPv6).
 */
import { MAGIC_COOKIE } from './constants.js'
import { FAMILY_IPV4, FAMILY_IPV6, checkFamily, checkPort } from './address.js'
import { type TransportAddress, ipv6ToString, writeIpv4, writeIpv6 } from './ip-bytes.js'

export type { AddressFamily, TransportAddress } from './ip-bytes.js'

const COOKIE_HI = MAGIC_COOKIE >>> 16

function xorAddressBytes(buf: Buffer, transactionId: Buffer): void {
  buf[4]! ^= 0x21
  buf[5]! ^= 0x12
  buf[6]! ^= 0xa4
  buf[7]! ^= 0x42
  if (buf.length === 20) for (let i = 0; i < 12; i++) buf[8 + i]! ^= transactionId[i]!
}

export function encodeXorAddress(addr: TransportAddress, transactionId: Buffer): Buffer {
  const out = Buffer.alloc(addr.family === 4 ? 8 : 20)
  out[1] = addr.family === 4 ? FAMILY_IPV4 : FAMILY_IPV6
  out.writeUInt16BE(checkPort(addr.port) ^ COOKIE_HI, 2)
  const ok = addr.family === 4 ? writeIpv4(addr.address, out, 4) : writeIpv6(addr.address, out, 4)
  if (!ok) throw new RangeError(`not an IPv${addr.family} address: ${addr.address}`)
  xorAddressBytes(out, transactionId)
  return out
}

export function decodeXorAddress(value: Buffer, transactionId: Buffer): TransportAddress {
  const family = checkFamily(value)
  const port = value.readUInt16BE(2) ^ COOKIE_HI
  if (family === 4) {
    // no copy on the IPv4 path (Send indications carry one per packet)
    const address = `${value[4]! ^ 0x21}.${value[5]! ^ 0x12}.${value[6]! ^ 0xa4}.${value[7]! ^ 0x42}`
    return { family, address, port }
  }
  const clear = Buffer.from(value) // the input is a view of the received packet: never mutate it
  xorAddressBytes(clear, transactionId)
  return { family, address: ipv6ToString(clear, 4), port }
}
