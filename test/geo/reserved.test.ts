import t from 'tap'
import { parseIpInto } from '../../geo/ip.js'
import { isReservedBytes } from '../../geo/reserved.js'

const reserved = (ip: string): boolean => {
  const b = new Uint8Array(16)
  const family = parseIpInto(ip, b)
  if (family === 0) throw new Error(`bad test address ${ip}`)
  return isReservedBytes(family, b)
}

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
