/**
 * The project's one table of special-purpose address blocks (IANA IPv4 and IPv6
 * Special-Purpose Address Registries, RFC 6890 and successors). Two decisions read it and
 * must agree (see special-use.ts):
 *   - geo: an address here is an explicit unknown with source 'reserved' (no database
 *     can meaningfully place 10.0.0.0/8), so an allow-list denies it;
 *   - relay peer safety (guarantee 2): a relay never sends here unless the operator
 *     allows the range — a TURN relay is an open proxy into whatever network it sits in
 *     (SSRF; coturn CVE-2020-26262).
 *
 * Blocks that embed an IPv4 address (the disguises: IPv4-mapped, IPv4-compatible,
 * IPv4-translated, NAT64, 6to4, Teredo) say where the IPv4 address sits; an address in
 * them is judged by the IPv4 address it carries, and by the block itself only where the
 * block is `reserved` in its own right (compatible and Teredo are; mapped, translated,
 * NAT64 and 6to4 are ordinary carriers). Longest prefix wins, so ::/128 and ::1/128 are
 * themselves, not IPv4-compatible 0.0.0.0 and 0.0.0.1.
 *
 * This table is the union of the two tables that geo and the relay used to keep. Where
 * they disagreed the stricter answer was kept: ::/8, ::/96 (IPv4-compatible, deprecated),
 * 2001::/23 with Teredo, and the AS112/AMT blocks are special for both now.
 */
import { ipv6Prefix, parseCidr } from './cidr.js'
import type { IpFamily } from './ip-address.js'
import { PrefixTrie } from './prefix-trie.js'

export type Ipv4Embedding =
  | 'ipv4-mapped' // ::ffff:a.b.c.d (RFC 4291 §2.5.5.2)
  | 'ipv4-compatible' // ::a.b.c.d (RFC 4291 §2.5.5.1, deprecated)
  | 'ipv4-translated' // ::ffff:0:a.b.c.d (RFC 2765 SIIT)
  | 'nat64' // 64:ff9b::a.b.c.d (RFC 6052)
  | '6to4' // 2002:AABB:CCDD::/48 (RFC 3056)
  | 'teredo-server' // 2001:0:SSSS:SSSS:… (RFC 4380)
  | 'teredo-client' // …:~CCCC:~CCCC (RFC 4380, obfuscated by XOR 0xffffffff)

/** Where an IPv4 address sits in an IPv6 address of a block. */
export interface Embedding {
  readonly form: Ipv4Embedding
  /** Byte offset of the 4 bytes. */
  readonly at: number
  /** Teredo writes the client address inverted. */
  readonly inverted?: true
}

export interface SpecialRange {
  readonly cidr: string
  readonly name: string
  /** False only for carriers that are ordinary address space in themselves. */
  readonly reserved: boolean
  readonly embeds?: readonly Embedding[]
}

const r = (cidr: string, name: string, embeds?: readonly Embedding[]): SpecialRange => (embeds ? { cidr, name, reserved: true, embeds } : { cidr, name, reserved: true })
const carrier = (cidr: string, name: string, embeds: readonly Embedding[]): SpecialRange => ({ cidr, name, reserved: false, embeds })

export const SPECIAL_RANGES_IPV4: readonly SpecialRange[] = [
  r('0.0.0.0/8', 'this network (RFC 791)'),
  r('10.0.0.0/8', 'private (RFC 1918)'),
  r('100.64.0.0/10', 'shared address space / CGNAT (RFC 6598)'),
  r('127.0.0.0/8', 'loopback (RFC 1122)'),
  r('169.254.0.0/16', 'link-local incl. cloud metadata 169.254.169.254 (RFC 3927)'),
  r('172.16.0.0/12', 'private (RFC 1918)'),
  r('192.0.0.0/24', 'IETF protocol assignments (RFC 6890)'),
  r('192.0.2.0/24', 'documentation TEST-NET-1 (RFC 5737)'),
  r('192.31.196.0/24', 'AS112-v4 (RFC 7535)'),
  r('192.52.193.0/24', 'AMT (RFC 7450)'),
  r('192.88.99.0/24', 'deprecated 6to4 relay anycast (RFC 7526)'),
  r('192.168.0.0/16', 'private (RFC 1918)'),
  r('192.175.48.0/24', 'direct delegation AS112 (RFC 7534)'),
  r('198.18.0.0/15', 'benchmarking (RFC 2544)'),
  r('198.51.100.0/24', 'documentation TEST-NET-2 (RFC 5737)'),
  r('203.0.113.0/24', 'documentation TEST-NET-3 (RFC 5737)'),
  r('224.0.0.0/4', 'multicast (RFC 5771)'),
  r('240.0.0.0/4', 'reserved (RFC 1112)'),
  r('255.255.255.255/32', 'limited broadcast (RFC 919)'),
]

export const SPECIAL_RANGES_IPV6: readonly SpecialRange[] = [
  r('::/128', 'unspecified (RFC 4291)'),
  r('::1/128', 'loopback (RFC 4291)'),
  r('::/8', 'reserved by IETF (RFC 4291)'),
  r('::/96', 'deprecated IPv4-compatible (RFC 4291 §2.5.5.1)', [{ form: 'ipv4-compatible', at: 12 }]),
  carrier('::ffff:0:0/96', 'IPv4-mapped (RFC 4291 §2.5.5.2)', [{ form: 'ipv4-mapped', at: 12 }]),
  carrier('::ffff:0:0:0/96', 'IPv4-translated (RFC 2765)', [{ form: 'ipv4-translated', at: 12 }]),
  carrier('64:ff9b::/96', 'NAT64 well-known prefix (RFC 6052)', [{ form: 'nat64', at: 12 }]),
  r('64:ff9b:1::/48', 'local-use IPv4/IPv6 translation (RFC 8215)'),
  r('100::/64', 'discard-only (RFC 6666)'),
  r('2001::/23', 'IETF protocol assignments (RFC 2928)'),
  r('2001::/32', 'Teredo (RFC 4380)', [{ form: 'teredo-server', at: 4 }, { form: 'teredo-client', at: 12, inverted: true }]),
  r('2001:2::/48', 'benchmarking (RFC 5180)'),
  r('2001:10::/28', 'deprecated ORCHID (RFC 4843)'),
  r('2001:db8::/32', 'documentation (RFC 3849)'),
  carrier('2002::/16', '6to4 (RFC 3056)', [{ form: '6to4', at: 2 }]),
  r('3fff::/20', 'documentation (RFC 9637)'),
  r('5f00::/16', 'SRv6 SIDs (RFC 9602)'),
  r('fc00::/7', 'unique local incl. fd00:ec2::254 metadata (RFC 4193)'),
  r('fe80::/10', 'link-local (RFC 4291)'),
  r('fec0::/10', 'deprecated site-local (RFC 3879)'),
  r('ff00::/8', 'multicast (RFC 4291)'),
]

function compile(family: IpFamily, ranges: readonly SpecialRange[]): PrefixTrie<SpecialRange> {
  const trie = new PrefixTrie<SpecialRange>(family)
  for (const range of ranges) {
    const parsed = parseCidr(range.cidr)
    if (!parsed.ok) throw new TypeError(`bad built-in special range ${range.cidr}`)
    // ::ffff:0:0/96 parses as IPv4 0.0.0.0/0; the IPv6 table keeps it as written.
    const { bytes, prefix } = family === 6 ? ipv6Prefix(parsed.cidr) : parsed.cidr
    trie.insert(bytes, prefix, range)
  }
  return trie
}

const TRIES = { 4: compile(4, SPECIAL_RANGES_IPV4), 6: compile(6, SPECIAL_RANGES_IPV6) } as const

/** The most specific block of the table that holds the address (family 4: bytes[0..3], family 6: bytes[0..15]). */
export function specialRange(family: IpFamily, bytes: Uint8Array): SpecialRange | undefined {
  return TRIES[family].match(bytes)
}

const LOOPBACK = [specialRangeNamed('127.0.0.0/8'), specialRangeNamed('::1/128')]

/** Loopback (127.0.0.0/8, ::1/128): where a listener is local to the machine. */
export function isLoopbackIp(family: IpFamily, bytes: Uint8Array): boolean {
  const range = specialRange(family, bytes)
  return range !== undefined && LOOPBACK.includes(range)
}

/** The table entry written as `cidr` (for naming a range in a log line). */
export function specialRangeNamed(cidr: string): SpecialRange | undefined {
  return SPECIAL_RANGES_IPV4.find((range) => range.cidr === cidr) ?? SPECIAL_RANGES_IPV6.find((range) => range.cidr === cidr)
}
