/**
 * Special-purpose address blocks (IANA IPv4 and IPv6 Special-Purpose Address Registries,
 * RFC 6890 and successors) that no geo database can meaningfully place. A lookup of one of
 * these without an operator override is an explicit unknown with source 'reserved', so
 * policy decides on it (an allow-list denies it) instead of trusting whatever a database
 * happens to say about, say, 10.0.0.0/8.
 *
 * IPv4-mapped IPv6 (::ffff:0:0/96) is absent on purpose: it is looked up as the IPv4
 * address it carries (geo/ip.ts).
 */
import { parseCidr } from './ip.js'
import { PrefixTrie } from './prefix-trie.js'

export const RESERVED_RANGES: readonly string[] = [
  // IPv4
  '0.0.0.0/8', // "this network", RFC 791
  '10.0.0.0/8', // private, RFC 1918
  '100.64.0.0/10', // shared address space (CGN), RFC 6598
  '127.0.0.0/8', // loopback, RFC 1122
  '169.254.0.0/16', // link-local, RFC 3927 (includes cloud metadata 169.254.169.254)
  '172.16.0.0/12', // private, RFC 1918
  '192.0.0.0/24', // IETF protocol assignments, RFC 6890
  '192.0.2.0/24', // TEST-NET-1, RFC 5737
  '192.31.196.0/24', // AS112-v4, RFC 7535
  '192.52.193.0/24', // AMT, RFC 7450
  '192.88.99.0/24', // deprecated 6to4 relay anycast, RFC 7526
  '192.168.0.0/16', // private, RFC 1918
  '192.175.48.0/24', // direct delegation AS112, RFC 7534
  '198.18.0.0/15', // benchmarking, RFC 2544
  '198.51.100.0/24', // TEST-NET-2, RFC 5737
  '203.0.113.0/24', // TEST-NET-3, RFC 5737
  '224.0.0.0/4', // multicast, RFC 5771
  '240.0.0.0/4', // reserved + limited broadcast, RFC 1112 / RFC 919
  // IPv6
  '::/96', // unspecified, and the deprecated IPv4-compatible addresses, RFC 4291 §2.5.5.1
  '::1/128', // loopback, RFC 4291
  '64:ff9b:1::/48', // local-use IPv4/IPv6 translation, RFC 8215
  '100::/64', // discard-only, RFC 6666
  '2001::/23', // IETF protocol assignments incl. Teredo, RFC 2928 / RFC 4380
  '2001:db8::/32', // documentation, RFC 3849
  '3fff::/20', // documentation, RFC 9637
  '5f00::/16', // SRv6 SIDs, RFC 9602
  'fc00::/7', // unique local, RFC 4193
  'fe80::/10', // link-local, RFC 4291
  'fec0::/10', // deprecated site-local, RFC 3879
  'ff00::/8', // multicast, RFC 4291
]

function compile(): { v4: PrefixTrie<true>; v6: PrefixTrie<true> } {
  const v4 = new PrefixTrie<true>(4)
  const v6 = new PrefixTrie<true>(6)
  for (const range of RESERVED_RANGES) {
    const cidr = parseCidr(range)
    if (!cidr) throw new Error(`bad built-in reserved range ${range}`)
    ;(cidr.family === 4 ? v4 : v6).insert(cidr.bytes, cidr.prefix, true)
  }
  return { v4, v6 }
}

const TRIES = compile()

/** True when bytes (family 4: bytes[0..3], family 6: bytes[0..15]) lie in a special-purpose block. */
export function isReservedBytes(family: 4 | 6, bytes: Uint8Array): boolean {
  return (family === 4 ? TRIES.v4 : TRIES.v6).match(bytes) === true
}
