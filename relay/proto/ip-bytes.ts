/**
 * IP address text ⇄ bytes for the address attributes. IPv4 is parsed by hand (it is on
 * the Send/Data indication path); IPv6 goes through ipaddr.js. IPv6 text is RFC 5952
 * form, with IPv4-mapped addresses written `::ffff:a.b.c.d` as Node's sockets do.
 */
import ipaddr from 'ipaddr.js'

export type AddressFamily = 4 | 6

export interface TransportAddress {
  family: AddressFamily
  address: string
  port: number
}

/** Writes the 4 bytes of a dotted-quad into out at offset; false when not a valid IPv4. */
export function writeIpv4(address: string, out: Buffer, offset: number): boolean {
  let part = 0
  let digits = 0
  let index = 0
  for (let i = 0; i <= address.length; i++) {
    const c = i < address.length ? address.charCodeAt(i) : 46
    if (c === 46) {
      if (digits === 0 || index > 3) return false
      out[offset + index++] = part
      part = 0
      digits = 0
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return false // no leading zeros (octal ambiguity)
      part = part * 10 + (c - 48)
      if (part > 255 || ++digits > 3) return false
    } else return false
  }
  return index === 4
}

export function ipv4ToString(buf: Buffer, offset: number): string {
  return `${buf[offset]}.${buf[offset + 1]}.${buf[offset + 2]}.${buf[offset + 3]}`
}

/**
 * Writes the 16 bytes of an IPv6 address; false when not valid IPv6 text (RFC 4291 §2.2,
 * with an optional strict dotted-quad tail; no zone id). Hand-written because ipaddr.js
 * 2.x reads the IPv4-compatible form `::a.b.c.d` as IPv4-mapped `::ffff:a.b.c.d`.
 */
export function writeIpv6(address: string, out: Buffer | Uint8Array, offset: number): boolean {
  const halves = address.split('::')
  if (halves.length > 2) return false
  const head = halves[0] === '' ? [] : halves[0]!.split(':')
  const tail = halves.length === 2 ? (halves[1] === '' ? [] : halves[1]!.split(':')) : []
  const groups: number[] = []
  const all = halves.length === 2 ? [...head, ...tail] : head
  const words: number[] = []
  for (let i = 0; i < all.length; i++) {
    const g = all[i]!
    // a dotted-quad may only be the last textual group (never before '::')
    if (i === all.length - 1 && g.indexOf('.') >= 0 && (halves.length === 1 || tail.length > 0)) {
      const v4 = Buffer.alloc(4)
      if (!writeIpv4(g, v4, 0)) return false
      words.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!)
      continue
    }
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return false
    words.push(parseInt(g, 16))
  }
  const headWords = halves.length === 2 ? words.length - (tail.length + (tail.at(-1)?.includes('.') ? 1 : 0)) : words.length
  if (halves.length === 2) {
    if (words.length > 7) return false
    groups.push(...words.slice(0, headWords), ...new Array<number>(8 - words.length).fill(0), ...words.slice(headWords))
  } else {
    if (words.length !== 8) return false
    groups.push(...words)
  }
  for (let i = 0; i < 8; i++) {
    out[offset + 2 * i] = groups[i]! >>> 8
    out[offset + 2 * i + 1] = groups[i]! & 0xff
  }
  return true
}

export function ipv6ToString(buf: Buffer, offset: number): string {
  let mapped = true
  for (let i = 0; i < 10; i++) if (buf[offset + i] !== 0) mapped = false
  if (mapped && buf[offset + 10] === 0xff && buf[offset + 11] === 0xff) {
    return `::ffff:${ipv4ToString(buf, offset + 12)}`
  }
  return ipaddr.fromByteArray(Array.from(buf.subarray(offset, offset + 16))).toString()
}
