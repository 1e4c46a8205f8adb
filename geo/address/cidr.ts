/**
 * The project's one CIDR type: geo overrides, the special-range table, relay peer
 * allow/deny lists and control-plane trusted proxies all parse ranges here.
 *
 * Strict, like the address parser it stands on: a prefix length is required (`10.0.0.0`
 * is not a range), host bits must be zero (`10.1.0.0/8` is almost always a typo, and a
 * range must say exactly what it covers), no zone ids or brackets. An IPv4-mapped IPv6
 * prefix of /96 or longer (`::ffff:10.0.0.0/104`) is the IPv4 prefix it covers, so
 * `127.1.0.0/16` and `::ffff:127.1.0.0/112` are one range. For overlap questions IPv4 sits
 * in the IPv4-mapped space (::ffff:0:0/96), so every overlap is one comparison of
 * 128-bit intervals.
 */
import { formatIp, isIpv4Mapped, parseIp, type IpFamily } from './ip-address.js'

export interface Cidr {
  /** As written. */
  readonly text: string
  readonly family: IpFamily
  /** Network address, host bits clear; 4 or 16 bytes. */
  readonly bytes: Uint8Array
  readonly prefix: number
}

export type CidrParse = { readonly ok: true; readonly cidr: Cidr } | { readonly ok: false; readonly reason: string }

export function parseCidr(text: string): CidrParse {
  const slash = text.indexOf('/')
  if (slash < 0) return { ok: false, reason: `"${text}" is not a CIDR: it needs a prefix length, e.g. ${text}/32` }
  const address = text.slice(0, slash)
  const lengthText = text.slice(slash + 1)
  if (!/^(0|[1-9][0-9]{0,2})$/.test(lengthText)) return { ok: false, reason: `"${text}" has an invalid prefix length` }
  let prefix = Number(lengthText)
  const scratch = new Uint8Array(16)
  let family = parseIp(address, scratch)
  if (family === 0) return { ok: false, reason: `"${text}" is not a CIDR: "${address}" is not an IPv4 (dotted quad) or IPv6 address` }
  const bits = family === 4 ? 32 : 128
  if (prefix > bits) return { ok: false, reason: `"${text}": an IPv${family} prefix length is at most ${bits}` }
  if (!hostBitsClear(scratch, prefix, bits)) {
    clearHostBits(scratch, prefix, bits)
    return { ok: false, reason: `"${text}" has host bits set; did you mean ${formatIp(family, scratch)}/${prefix}?` }
  }
  if (family === 6 && prefix >= 96 && isIpv4Mapped(scratch)) {
    scratch.copyWithin(0, 12, 16)
    family = 4
    prefix -= 96
  }
  return { ok: true, cidr: { text, family, bytes: scratch.slice(0, family === 4 ? 4 : 16), prefix } }
}

function hostBitsClear(bytes: Uint8Array, prefix: number, bits: number): boolean {
  for (let bit = prefix; bit < bits; bit++) {
    if ((bytes[bit >> 3]! >> (7 - (bit & 7))) & 1) return false
  }
  return true
}

function clearHostBits(bytes: Uint8Array, prefix: number, bits: number): void {
  for (let bit = prefix; bit < bits; bit++) bytes[bit >> 3]! &= ~(0x80 >> (bit & 7))
}

/** The range in the IPv6 space: an IPv4 range as its IPv4-mapped prefix (::ffff:0:0/96 + prefix). */
export function ipv6Prefix(cidr: Cidr): { readonly bytes: Uint8Array; readonly prefix: number } {
  if (cidr.family === 6) return cidr
  const bytes = new Uint8Array(16)
  bytes[10] = 0xff
  bytes[11] = 0xff
  bytes.set(cidr.bytes, 12)
  return { bytes, prefix: cidr.prefix + 96 }
}

/** The range in canonical spelling (`10.0.0.0/8`, `2001:db8::/32`). */
export function formatCidr(cidr: Cidr): string {
  return `${formatIp(cidr.family, cidr.bytes)}/${cidr.prefix}`
}

/** Whether the address (family 4: bytes[0..3], family 6: bytes[0..15]) lies in the range. Families never mix: unmap first. */
export function cidrContains(cidr: Cidr, family: IpFamily, bytes: Uint8Array): boolean {
  if (cidr.family !== family) return false
  const full = cidr.prefix >>> 3
  for (let i = 0; i < full; i++) if (bytes[i] !== cidr.bytes[i]) return false
  const rest = cidr.prefix & 7
  if (rest === 0) return true
  const mask = (0xff << (8 - rest)) & 0xff
  return (bytes[full]! & mask) === cidr.bytes[full]
}

/** The first range (in list order) that contains the address. */
export function firstContaining(cidrs: readonly Cidr[], family: IpFamily, bytes: Uint8Array): Cidr | undefined {
  for (const cidr of cidrs) if (cidrContains(cidr, family, bytes)) return cidr
  return undefined
}

const MAPPED_PREFIX = 0xffffn << 32n

interface Interval {
  readonly first: bigint
  readonly last: bigint
}

/** First and last address in the 128-bit space where IPv4 is IPv4-mapped. */
function interval(cidr: Cidr): Interval {
  let value = 0n
  for (const byte of cidr.bytes) value = (value << 8n) | BigInt(byte)
  const first = cidr.family === 4 ? MAPPED_PREFIX | value : value
  const hostBits = BigInt((cidr.family === 4 ? 32 : 128) - cidr.prefix)
  return { first, last: first | ((1n << hostBits) - 1n) }
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  const x = interval(a)
  const y = interval(b)
  return x.first <= y.last && y.first <= x.last
}

/**
 * Every overlapping pair among `cidrs` (indices into the input, `a < b`). Sorted sweep:
 * CIDR ranges either nest or are disjoint, so each range is compared only with the
 * ranges still open when it starts.
 */
export function overlappingPairs(cidrs: readonly (Cidr | undefined)[]): Array<readonly [number, number]> {
  const order = cidrs
    .map((cidr, index) => ({ range: cidr === undefined ? undefined : interval(cidr), index }))
    .filter((entry): entry is { range: Interval; index: number } => entry.range !== undefined)
    .sort((x, y) => (x.range.first < y.range.first ? -1 : x.range.first > y.range.first ? 1 : x.index - y.index))
  const pairs: Array<readonly [number, number]> = []
  const open: { range: Interval; index: number }[] = []
  for (const entry of order) {
    for (let i = open.length - 1; i >= 0; i--) {
      if (open[i]!.range.last < entry.range.first) open.splice(i, 1)
    }
    for (const other of open) pairs.push(other.index < entry.index ? [other.index, entry.index] : [entry.index, other.index])
    open.push(entry)
  }
  return pairs.sort((x, y) => x[0] - y[0] || x[1] - y[1])
}
