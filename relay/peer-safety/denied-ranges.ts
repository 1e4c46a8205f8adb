/**
 * The address ranges a relay never sends to unless the operator allows them: a TURN relay
 * is an open proxy into whatever network it sits in (SSRF; coturn CVE-2020-26262).
 * Drawn from the IANA special-purpose registries (RFC 6890 and updates): every range
 * that is not globally reachable, plus multicast and broadcast.
 */
export interface NamedRange {
  cidr: string
  name: string
}

export const DEFAULT_DENIED_IPV4: readonly NamedRange[] = [
  { cidr: '0.0.0.0/8', name: 'this network (RFC 791)' },
  { cidr: '10.0.0.0/8', name: 'private (RFC 1918)' },
  { cidr: '100.64.0.0/10', name: 'shared address space / CGNAT (RFC 6598)' },
  { cidr: '127.0.0.0/8', name: 'loopback (RFC 1122)' },
  { cidr: '169.254.0.0/16', name: 'link-local incl. cloud metadata 169.254.169.254 (RFC 3927)' },
  { cidr: '172.16.0.0/12', name: 'private (RFC 1918)' },
  { cidr: '192.0.0.0/24', name: 'IETF protocol assignments (RFC 6890)' },
  { cidr: '192.0.2.0/24', name: 'documentation TEST-NET-1 (RFC 5737)' },
  { cidr: '192.88.99.0/24', name: 'deprecated 6to4 relay anycast (RFC 7526)' },
  { cidr: '192.168.0.0/16', name: 'private (RFC 1918)' },
  { cidr: '198.18.0.0/15', name: 'benchmarking (RFC 2544)' },
  { cidr: '198.51.100.0/24', name: 'documentation TEST-NET-2 (RFC 5737)' },
  { cidr: '203.0.113.0/24', name: 'documentation TEST-NET-3 (RFC 5737)' },
  { cidr: '224.0.0.0/4', name: 'multicast (RFC 5771)' },
  { cidr: '240.0.0.0/4', name: 'reserved (RFC 1112)' },
  { cidr: '255.255.255.255/32', name: 'limited broadcast (RFC 919)' },
]

/**
 * IPv6. The IPv4-embedding prefixes (::ffff:0:0/96 mapped, ::/96 compatible,
 * ::ffff:0:0:0/96 translated, 64:ff9b::/96 NAT64, 2002::/16 6to4, 2001::/32 Teredo) are
 * not listed: an address in them is judged by the IPv4 address it carries
 * (see embedded-ipv4.ts). The rest of ::/8 is reserved and denied.
 */
export const DEFAULT_DENIED_IPV6: readonly NamedRange[] = [
  { cidr: '::/128', name: 'unspecified (RFC 4291)' },
  { cidr: '::1/128', name: 'loopback (RFC 4291)' },
  { cidr: '::/8', name: 'reserved by IETF (RFC 4291)' },
  { cidr: '64:ff9b:1::/48', name: 'local-use IPv4/IPv6 translation (RFC 8215)' },
  { cidr: '100::/64', name: 'discard-only (RFC 6666)' },
  { cidr: '2001:2::/48', name: 'benchmarking (RFC 5180)' },
  { cidr: '2001:10::/28', name: 'deprecated ORCHID (RFC 4843)' },
  { cidr: '2001:db8::/32', name: 'documentation (RFC 3849)' },
  { cidr: '3fff::/20', name: 'documentation (RFC 9637)' },
  { cidr: '5f00::/16', name: 'SRv6 SIDs (RFC 9602)' },
  { cidr: 'fc00::/7', name: 'unique local incl. fd00:ec2::254 metadata (RFC 4193)' },
  { cidr: 'fe80::/10', name: 'link-local (RFC 4291)' },
  { cidr: 'fec0::/10', name: 'deprecated site-local (RFC 3879)' },
  { cidr: 'ff00::/8', name: 'multicast (RFC 4291)' },
]
