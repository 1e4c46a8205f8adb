/**
 * IP address text → bytes, written for the lookup hot path: no regular expressions, no
 * allocation (the caller owns a 16-byte scratch buffer), strict (a string that is not
 * exactly an address is refused rather than guessed at).
 *
 * Accepted: dotted-quad IPv4 (no leading zeros: `010.0.0.1` is octal to some parsers and
 * decimal to others, so it is refused), IPv6 per RFC 4291 §2.2 including `::` and a
 * trailing dotted quad, IPv6 zone ids (`fe80::1%eth0`, RFC 6874; the zone is dropped), and
 * the bracketed forms `[2001:db8::1]` and `[2001:db8::1]:3478` (RFC 3986 §3.2.2).
 * IPv4-mapped IPv6 (`::ffff:1.2.3.4`, RFC 4291 §2.5.5.2) is the IPv4 address it carries:
 * a dual-stack socket reports IPv4 peers that way, and policy must see the same answer.
 */

export type IpFamily = 4 | 6

/** 0 means "not an address". */
export type ParsedFamily = 0 | IpFamily

const CH_0 = 48
const CH_9 = 57
const CH_DOT = 46
const CH_COLON = 58

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48
  if (c >= 97 && c <= 102) return c - 87
  if (c >= 65 && c <= 70) return c - 55
  return -1
}

/** Parses s[start, end) as a dotted quad into out[off..off+3]. */
function parseV4(s: string, start: number, end: number, out: Uint8Array, off: number): boolean {
  let octet = 0
  let digits = 0
  let parts = 0
  let leadingZero = false
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i)
    if (c >= CH_0 && c <= CH_9) {
      if (leadingZero) return false
      if (digits === 0 && c === CH_0) leadingZero = true
      octet = octet * 10 + (c - CH_0)
      if (octet > 255 || ++digits > 3) return false
    } else if (c === CH_DOT) {
      if (digits === 0 || parts === 3) return false
      out[off + parts++] = octet
      octet = 0
      digits = 0
      leadingZero = false
    } else {
      return false
    }
  }
  if (digits === 0 || parts !== 3) return false
  out[off + 3] = octet
  return true
}

/** Parses s[start, end) as IPv6 into out[0..15]. */
function parseV6(s: string, start: number, end: number, out: Uint8Array): boolean {
  // Groups before '::' are written from the front; groups after it are collected in
  // order and then moved to the back.
  let pos = 0 // next byte to write
  let gap = -1 // byte index where '::' sits
  let i = start
  if (end - start < 2) return false
  if (s.charCodeAt(i) === CH_COLON) {
    if (s.charCodeAt(i + 1) !== CH_COLON) return false
    gap = 0
    i += 2
    if (i === end) {
      out.fill(0, 0, 16)
      return true
    }
  }
  while (i < end) {
    if (pos >= 16) return false
    // one group: up to 4 hex digits, or a dotted quad in the last 32 bits
    let value = 0
    let digits = 0
    const groupStart = i
    while (i < end) {
      const h = hexValue(s.charCodeAt(i))
      if (h < 0) break
      value = (value << 4) | h
      if (++digits > 4) return false
      i++
    }
    if (i < end && s.charCodeAt(i) === CH_DOT) {
      if (pos > 12) return false
      if (!parseV4(s, groupStart, end, out, pos)) return false
      pos += 4
      i = end
      break
    }
    if (digits === 0) return false
    out[pos++] = value >> 8
    out[pos++] = value & 0xff
    if (i === end) break
    if (s.charCodeAt(i) !== CH_COLON) return false
    i++
    if (i < end && s.charCodeAt(i) === CH_COLON) {
      if (gap >= 0) return false
      gap = pos
      i++
      if (i === end) break
    } else if (i === end) {
      return false // trailing single ':'
    }
  }
  if (gap < 0) return pos === 16
  if (pos > 14) return false // '::' must stand for at least one group
  const tail = pos - gap
  const shift = 16 - pos
  for (let k = tail - 1; k >= 0; k--) out[gap + shift + k] = out[gap + k]!
  out.fill(0, gap, gap + shift)
  return true
}

function isV4Mapped(b: Uint8Array): boolean {
  return b[0] === 0 && b[1] === 0 && b[2] === 0 && b[3] === 0 && b[4] === 0 && b[5] === 0 &&
    b[6] === 0 && b[7] === 0 && b[8] === 0 && b[9] === 0 && b[10] === 0xff && b[11] === 0xff
}

/**
 * Parses `input` into `out` (at least 16 bytes). Returns 4 with the address in out[0..3],
 * 6 with it in out[0..15], or 0 when the input is not an address. IPv4-mapped IPv6
 * addresses come back as 4.
 */
export function parseIpInto(input: string, out: Uint8Array): ParsedFamily {
  let start = 0
  let end = input.length
  if (end === 0 || end > 64) return 0
  let hasColon = false
  const first = input.charCodeAt(0)
  if (first === 91 /* [ */) {
    const close = input.indexOf(']')
    if (close < 0) return 0
    if (close + 1 < end) {
      // `[addr]:port`
      if (input.charCodeAt(close + 1) !== CH_COLON || !isPort(input, close + 2, end)) return 0
    }
    start = 1
    end = close
    hasColon = true
  } else {
    for (let i = 0; i < end; i++) {
      if (input.charCodeAt(i) === CH_COLON) {
        hasColon = true
        break
      }
    }
  }
  if (!hasColon) return parseV4(input, start, end, out, 0) ? 4 : 0
  const zone = input.indexOf('%', start)
  if (zone >= 0 && zone < end) {
    if (zone + 1 === end) return 0
    end = zone
  }
  if (!parseV6(input, start, end, out)) return 0
  if (isV4Mapped(out)) {
    out[0] = out[12]!
    out[1] = out[13]!
    out[2] = out[14]!
    out[3] = out[15]!
    return 4
  }
  return 6
}

function isPort(s: string, start: number, end: number): boolean {
  if (start >= end || end - start > 5) return false
  let n = 0
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i)
    if (c < CH_0 || c > CH_9) return false
    n = n * 10 + (c - CH_0)
  }
  return n <= 65535
}

/** Formats bytes as text: dotted quad, or RFC 5952 canonical IPv6 (lower case, longest zero run compressed). */
export function formatIp(family: IpFamily, b: Uint8Array): string {
  if (family === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`
  const groups: number[] = []
  for (let i = 0; i < 16; i += 2) groups.push((b[i]! << 8) | b[i + 1]!)
  // RFC 5952 §4.2: compress the longest run of two or more zero groups, the first on a tie.
  let bestStart = -1
  let bestLen = 1
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLen) {
      bestStart = i
      bestLen = j - i
    }
    i = j
  }
  const hex = (from: number, to: number) => groups.slice(from, to).map((g) => g.toString(16)).join(':')
  if (bestStart < 0) return hex(0, 8)
  return `${hex(0, bestStart)}::${hex(bestStart + bestLen, 8)}`
}

/**
 * One spelling per address: IPv4-mapped IPv6 becomes IPv4, brackets, ports and zones are
 * dropped, IPv6 is RFC 5952 canonical. Null when the input is not an address. Use it to
 * compare addresses (peer permissions, admitted endpoints).
 */
export function canonicalIp(input: string): string | null {
  const b = new Uint8Array(16)
  const family = parseIpInto(input, b)
  return family === 0 ? null : formatIp(family, b)
}

export interface Cidr {
  readonly family: IpFamily
  /** Network address, host bits cleared; 4 or 16 bytes. */
  readonly bytes: Uint8Array
  readonly prefix: number
}

/**
 * Parses `a.b.c.d/n` or `x::/n`. Host bits must be zero (`10.1.0.0/8` is refused: it is
 * almost always a typo, and overrides must say exactly what they cover). An IPv4-mapped
 * IPv6 prefix of /96 or longer is the IPv4 prefix it covers.
 */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/')
  if (slash < 0) return null
  const lengthText = text.slice(slash + 1)
  if (!/^(0|[1-9][0-9]{0,2})$/.test(lengthText)) return null
  let prefix = Number(lengthText)
  const scratch = new Uint8Array(16)
  const addressText = text.slice(0, slash)
  if (addressText.includes('%') || addressText.startsWith('[')) return null
  let family = parseIpInto(addressText, scratch)
  if (family === 0) return null
  if (family === 4 && addressText.includes(':')) {
    // written as ::ffff:a.b.c.d/n
    if (prefix < 96) return null
    prefix -= 96
  }
  const bits = family === 4 ? 32 : 128
  if (prefix > bits) return null
  const bytes = scratch.slice(0, bits / 8)
  for (let bit = prefix; bit < bits; bit++) {
    if ((bytes[bit >> 3]! >> (7 - (bit & 7))) & 1) return null
  }
  family = family as IpFamily
  return { family, bytes, prefix }
}
