/**
 * CIDR parsing and overlap for the config's address ranges (geo overrides, relay peer
 * allow/deny lists). IPv4 ranges are placed in the IPv4-mapped IPv6 space
 * (::ffff:0:0/96), so `127.1.0.0/16` and `::ffff:127.1.0.0/112` are the same range and
 * every overlap question is one comparison of 128-bit intervals.
 */
import ipaddr from 'ipaddr.js'

export interface CidrRange {
  /** As written in the config. */
  readonly text: string
  readonly family: 'ipv4' | 'ipv6'
  /** First and last address in the 128-bit (mapped) space. */
  readonly first: bigint
  readonly last: bigint
}

export type CidrParse = { readonly ok: true; readonly range: CidrRange } | { readonly ok: false; readonly reason: string }

const MAPPED_PREFIX = 0xffffn << 32n

export function parseCidr(text: string): CidrParse {
  const slash = text.indexOf('/')
  if (slash < 0) return { ok: false, reason: `"${text}" is not a CIDR: it needs a prefix length, e.g. ${text}/32` }
  const address = text.slice(0, slash)
  const lengthText = text.slice(slash + 1)
  if (!/^(0|[1-9][0-9]{0,2})$/.test(lengthText)) return { ok: false, reason: `"${text}" has an invalid prefix length` }
  const length = Number(lengthText)

  if (ipaddr.IPv4.isValidFourPartDecimal(address)) {
    if (length > 32) return { ok: false, reason: `"${text}": an IPv4 prefix length is at most 32` }
    const value = bytesToBigInt(ipaddr.IPv4.parse(address).toByteArray())
    return finish(text, 'ipv4', MAPPED_PREFIX | value, 96 + length, length)
  }
  if (ipaddr.IPv6.isValid(address) && !address.includes('%')) {
    if (length > 128) return { ok: false, reason: `"${text}": an IPv6 prefix length is at most 128` }
    const value = bytesToBigInt(ipaddr.IPv6.parse(address).toByteArray())
    return finish(text, 'ipv6', value, length, length)
  }
  return { ok: false, reason: `"${text}" is not a CIDR: "${address}" is not an IPv4 (dotted quad) or IPv6 address` }
}

function finish(text: string, family: 'ipv4' | 'ipv6', value: bigint, prefix128: number, length: number): CidrParse {
  const hostMask = (1n << BigInt(128 - prefix128)) - 1n
  const first = value & ~hostMask
  if (first !== value) {
    const network = family === 'ipv4' ? bigIntToIPv4(first & 0xffffffffn) : ipaddr.fromByteArray(bigIntToBytes(first, 16)).toString()
    return { ok: false, reason: `"${text}" has host bits set; did you mean ${network}/${length}?` }
  }
  return { ok: true, range: { text, family, first, last: first | hostMask } }
}

export function rangesOverlap(a: CidrRange, b: CidrRange): boolean {
  return a.first <= b.last && b.first <= a.last
}

/**
 * Every overlapping pair among `ranges` (indices into the input, `a < b`). Sorted sweep:
 * CIDR ranges either nest or are disjoint, so each range is compared only with the
 * ranges still open when it starts.
 */
export function overlappingPairs(ranges: readonly (CidrRange | undefined)[]): Array<readonly [number, number]> {
  const order = ranges
    .map((range, index) => ({ range, index }))
    .filter((entry): entry is { range: CidrRange; index: number } => entry.range !== undefined)
    .sort((x, y) => (x.range.first < y.range.first ? -1 : x.range.first > y.range.first ? 1 : x.index - y.index))
  const pairs: Array<readonly [number, number]> = []
  const open: { range: CidrRange; index: number }[] = []
  for (const entry of order) {
    for (let i = open.length - 1; i >= 0; i--) {
      if ((open[i] as { range: CidrRange }).range.last < entry.range.first) open.splice(i, 1)
    }
    for (const other of open) pairs.push(other.index < entry.index ? [other.index, entry.index] : [entry.index, other.index])
    open.push(entry)
  }
  return pairs.sort((x, y) => x[0] - y[0] || x[1] - y[1])
}

function bytesToBigInt(bytes: readonly number[]): bigint {
  let value = 0n
  for (const byte of bytes) value = (value << 8n) | BigInt(byte)
  return value
}

function bigIntToBytes(value: bigint, length: number): number[] {
  const bytes: number[] = []
  for (let i = length - 1; i >= 0; i--) bytes.push(Number((value >> BigInt(i * 8)) & 0xffn))
  return bytes
}

function bigIntToIPv4(value: bigint): string {
  return bigIntToBytes(value, 4).join('.')
}

/**
 * The position of an address in the same 128-bit space as CidrRange (IPv4 mapped), or
 * undefined when it is not a plain IPv4 dotted quad or IPv6 address.
 */
export function addressValue(address: string): bigint | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(address)) return MAPPED_PREFIX | bytesToBigInt(ipaddr.IPv4.parse(address).toByteArray())
  if (ipaddr.IPv6.isValid(address) && !address.includes('%')) return bytesToBigInt(ipaddr.IPv6.parse(address).toByteArray())
  return undefined
}

/** Whether an address lies in any of the ranges (IPv4 and its IPv4-mapped IPv6 form alike). */
export function inAnyRange(ranges: readonly CidrRange[], address: string): boolean {
  const value = addressValue(address)
  return value !== undefined && ranges.some((range) => range.first <= value && value <= range.last)
}
