import t from 'tap'
import { parseIp } from '../../../geo/address/ip-address.js'
import { SPECIAL_RANGES_IPV4, SPECIAL_RANGES_IPV6 } from '../../../geo/address/special-ranges.js'
import { isSpecialUse, specialUses } from '../../../geo/address/special-use.js'

const bytesOf = (ip: string): [4 | 6, Uint8Array] => {
  const b = new Uint8Array(16)
  const family = parseIp(ip, b)
  if (family === 0) throw new Error(`bad test address ${ip}`)
  return [family, b]
}
const reserved = (ip: string): boolean => isSpecialUse(...bytesOf(ip))

t.test('special-purpose addresses are reserved and their public neighbours are not', async (t) => {
  const cases: Array<[string, boolean, string]> = [
    ['0.0.0.0', true, 'this network'],
    ['10.0.0.0', true, 'RFC 1918 start'], ['10.255.255.255', true, 'RFC 1918 end'], ['9.255.255.255', false, 'just below 10/8'], ['11.0.0.0', false, 'just above 10/8'],
    ['100.64.0.1', true, 'CGN'], ['100.127.255.255', true, 'CGN end'], ['100.128.0.0', false, 'just above CGN'], ['100.63.255.255', false, 'just below CGN'],
    ['127.0.0.1', true, 'loopback'], ['127.255.255.255', true, 'loopback end'], ['128.0.0.1', false, 'just above loopback'],
    ['169.254.169.254', true, 'cloud metadata'], ['169.255.0.1', false, 'just above link-local'],
    ['172.16.0.1', true, 'RFC 1918'], ['172.31.255.255', true, 'RFC 1918 end'], ['172.32.0.0', false, 'just above 172.16/12'], ['172.15.255.255', false, 'just below 172.16/12'],
    ['192.0.2.1', true, 'TEST-NET-1'], ['192.168.1.1', true, 'RFC 1918'], ['192.169.0.1', false, 'just above 192.168/16'],
    ['198.18.0.1', true, 'benchmarking'], ['198.19.255.255', true, 'benchmarking end'], ['198.20.0.0', false, 'just above benchmarking'],
    ['198.51.100.7', true, 'TEST-NET-2'], ['203.0.113.9', true, 'TEST-NET-3'], ['203.0.114.0', false, 'just above TEST-NET-3'],
    ['224.0.0.1', true, 'multicast'], ['239.255.255.255', true, 'multicast end'], ['255.255.255.255', true, 'broadcast'], ['223.255.255.255', false, 'just below multicast'],
    ['8.8.8.8', false, 'public'], ['1.1.1.1', false, 'public'],
    ['::', true, 'unspecified'], ['::1', true, 'loopback'], ['::1.2.3.4', true, 'IPv4-compatible (deprecated)'],
    ['fe80::1', true, 'link-local'], ['febf:ffff::1', true, 'link-local end'], ['fec0::1', true, 'site-local (deprecated)'],
    ['fc00::1', true, 'unique local'], ['fdff:ffff::1', true, 'unique local end'], ['fbff:ffff::1', false, 'just below unique local'],
    ['ff02::1', true, 'multicast'], ['2001:db8::1', true, 'documentation'], ['3fff::1', true, 'documentation (RFC 9637)'],
    ['2001::1', true, 'Teredo'], ['2001:200::1', false, 'first allocation after 2001::/23'], ['100::1', true, 'discard-only'],
    ['2001:4860:4860::8888', false, 'public'], ['2a01:4f8::1', false, 'public'], ['64:ff9b::8.8.8.8', false, 'NAT64 well-known prefix carries a public address'],
  ]
  for (const [ip, expected, why] of cases) t.equal(reserved(ip), expected, `${ip} (${why}) ${expected ? 'is' : 'is not'} reserved`)
})

t.test('a disguise is special exactly when the IPv4 address it carries is, and says which form it wore', async (t) => {
  const cases: Array<[string, string[]]> = [
    ['::ffff:127.0.0.1', ['127.0.0.0/8 via ipv4-mapped']],
    ['::ffff:8.8.8.8', []],
    ['::ffff:0:10.0.0.1', ['10.0.0.0/8 via ipv4-translated']],
    ['64:ff9b::169.254.169.254', ['169.254.0.0/16 via nat64']],
    ['64:ff9b::8.8.8.8', []],
    ['2002:c0a8:101::1', ['192.168.0.0/16 via 6to4']],
    ['2002:808:808::1', []],
    // IPv4-compatible and Teredo are special in themselves as well (deprecated / not globally reachable)
    ['::127.0.0.1', ['127.0.0.0/8 via ipv4-compatible', '::/96']],
    ['::8.8.8.8', ['::/96']],
    ['2001:0:7f00:1::80ff:fffe', ['127.0.0.0/8 via teredo-server', '127.0.0.0/8 via teredo-client', '2001::/32']],
    ['2001:0:808:808::f7f7:f7f7', ['2001::/32']],
    // the most specific block wins: :: and ::1 are themselves, not IPv4-compatible 0.0.0.0 and 0.0.0.1
    ['::', ['::/128']],
    ['::1', ['::1/128']],
    ['::1:0:0:1', ['::/8']],
  ]
  for (const [ip, expected] of cases) {
    t.same(specialUses(...bytesOf(ip)).map((u) => (u.via ? `${u.range.cidr} via ${u.via.form}` : u.range.cidr)), expected, ip)
  }
})

const PROBES: Record<string, string> = {
  '::/8': '::1:0:0:1', '::/96': '::8.8.8.8', '::ffff:0:0/96': '::ffff:8.8.8.8', '::ffff:0:0:0/96': '::ffff:0:8.8.8.8',
  '64:ff9b::/96': '64:ff9b::8.8.8.8', '2001::/23': '2001:1::1', '2002::/16': '2002:808:808::1',
}

t.test('every block of the table is special for an address inside it, unless it only carries IPv4', async (t) => {
  for (const range of [...SPECIAL_RANGES_IPV4, ...SPECIAL_RANGES_IPV6]) {
    // the network address, unless a more specific block or a special IPv4 address would answer for it
    const probe = PROBES[range.cidr] ?? range.cidr.split('/')[0]!
    const uses = specialUses(...bytesOf(probe))
    t.equal(uses.some((u) => u.range === range), range.reserved, `${range.cidr} (${probe})`)
  }
})
