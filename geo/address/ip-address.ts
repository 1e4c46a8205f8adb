/**
 * IP address text ⇄ bytes: the project's one parser. Geo lookups, config validation,
 * relay peer safety and the STUN codec's address attributes all read addresses here, so
 * an SSRF guard and a geo-fence can never disagree about what a string means.
 *
 * Written for the lookup hot path: no regular expressions, no allocation (the caller owns
 * a 16-byte scratch buffer), strict (a string that is not exactly an address is refused
 * rather than guessed at):
 *   - IPv4 is a dotted quad without leading zeros: `010.0.0.1` is octal to some parsers
 *     and decimal to others, so it is refused, as are `127.1`, `0x7f.0.0.1` and `2130706433`;
 *   - IPv6 is RFC 4291 §2.2, `::` and a trailing dotted quad included. `::1.2.3.4` is the
 *     deprecated IPv4-compatible address (§2.5.5.1), never read as IPv4-mapped;
 *   - `parseIp` takes a bare literal and nothing else (config, peer addresses, the codec);
 *   - `parseHostIp` also takes what sockets and logs write: the bracketed forms
 *     `[2001:db8::1]` and `[2001:db8::1]:3478` (RFC 3986 §3.2.2) and zone ids
 *     (`fe80::1%eth0`, RFC 6874; the zone is dropped), and reads IPv4-mapped IPv6
 *     (`::ffff:1.2.3.4`, RFC 4291 §2.5.5.2) as the IPv4 address it carries: a dual-stack
 *     socket reports IPv4 peers that way, and policy must see the same answer.
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

function parseLiteral(s: string, start: number, end: number, hasColon: boolean, out: Uint8Array): ParsedFamily {
  if (!hasColon) return parseV4(s, start, end, out, 0) ? 4 : 0
  return parseV6(s, start, end, out) ? 6 : 0
}

/**
 * Parses one bare address literal into `out` (at least 16 bytes): 4 with the address in
 * out[0..3], 6 with it in out[0..15], 0 when `text` is not exactly an address. No
 * brackets, ports or zone ids; IPv4-mapped IPv6 stays IPv6 (see `unmapIpv4`), so a peer
 * check can say which disguise an address wore.
 */
export function parseIp(text: string, out: Uint8Array): ParsedFamily {
  const end = text.length
  if (end === 0 || end > 64) return 0
  return parseLiteral(text, 0, end, text.indexOf(':') >= 0, out)
}

/**
 * A dotted quad, written straight into out[offset..offset+3]; false when `text` is not
 * exactly one. The same IPv4 reader as `parseIp`, for the codec's per-packet path.
 */
export function parseIpv4Into(text: string, out: Uint8Array, offset: number): boolean {
  const end = text.length
  return end >= 7 && end <= 15 && parseV4(text, 0, end, out, offset)
}

/**
 * Parses an address as a socket, a header or a log writes it: a bare literal, `[v6]`,
 * `[v6]:port`, or IPv6 with a zone id (dropped). IPv4-mapped IPv6 comes back as 4.
 */
export function parseHostIp(input: string, out: Uint8Array): ParsedFamily {
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
    hasColon = input.indexOf(':') >= 0
  }
  if (hasColon) {
    const zone = input.indexOf('%', start)
    if (zone >= 0 && zone < end) {
      if (zone + 1 === end) return 0
      end = zone
    }
  }
  return unmapIpv4(parseLiteral(input, start, end, hasColon, out), out)
}

/** True for IPv4-mapped IPv6 (::ffff:0:0/96, RFC 4291 §2.5.5.2). */
export function isIpv4Mapped(b: Uint8Array): boolean {
  return b[0] === 0 && b[1] === 0 && b[2] === 0 && b[3] === 0 && b[4] === 0 && b[5] === 0 &&
    b[6] === 0 && b[7] === 0 && b[8] === 0 && b[9] === 0 && b[10] === 0xff && b[11] === 0xff
}

/** An IPv4-mapped IPv6 address becomes the IPv4 address it carries (moved to out[0..3]); anything else is left as it is. */
export function unmapIpv4(family: ParsedFamily, out: Uint8Array): ParsedFamily {
  if (family !== 6 || !isIpv4Mapped(out)) return family
  out[0] = out[12]!
  out[1] = out[13]!
  out[2] = out[14]!
  out[3] = out[15]!
  return 4
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

/**
 * Formats bytes as text: dotted quad, or RFC 5952 canonical IPv6 (lower case, longest
 * zero run compressed), IPv4-mapped in the mixed notation of §5 (`::ffff:1.2.3.4`), as
 * Node's sockets write it.
 */
export function formatIp(family: IpFamily, b: Uint8Array): string {
  if (family === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`
  if (isIpv4Mapped(b)) return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`
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
 * compare addresses (peer permissions, admitted endpoints, client addresses).
 */
export function canonicalIp(input: string): string | null {
  const b = new Uint8Array(16)
  const family = parseHostIp(input, b)
  return family === 0 ? null : formatIp(family, b)
}

/** Whether `text` is exactly one bare address literal (see `parseIp`). */
export function isIpAddress(text: string): boolean {
  return parseIp(text, new Uint8Array(16)) !== 0
}
