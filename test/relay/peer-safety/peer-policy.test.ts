import t from 'tap'
import { SPECIAL_RANGES_IPV4, SPECIAL_RANGES_IPV6 } from '../../../geo/address/special-ranges.js'
import { checkPeer, compilePeerPolicy, describePeerCheck } from '../../../relay/peer-safety/index.js'

const strict = compilePeerPolicy()

// One address inside every default denied range, and the range that must be named.
const DENIED: [string, string][] = [
  ['0.0.0.0', '0.0.0.0/8'],
  ['0.1.2.3', '0.0.0.0/8'],
  ['10.0.0.1', '10.0.0.0/8'],
  ['10.255.255.255', '10.0.0.0/8'],
  ['100.64.0.1', '100.64.0.0/10'],
  ['100.127.255.254', '100.64.0.0/10'],
  ['100.100.100.200', '100.64.0.0/10'], // Alibaba Cloud metadata
  ['127.0.0.1', '127.0.0.0/8'],
  ['127.255.255.254', '127.0.0.0/8'],
  ['169.254.0.1', '169.254.0.0/16'],
  ['169.254.169.254', '169.254.0.0/16'], // AWS/GCP/Azure metadata
  ['172.16.0.1', '172.16.0.0/12'],
  ['172.31.255.255', '172.16.0.0/12'],
  ['192.0.0.1', '192.0.0.0/24'],
  ['192.0.0.192', '192.0.0.0/24'], // Oracle Cloud metadata
  ['192.0.2.1', '192.0.2.0/24'],
  ['192.31.196.1', '192.31.196.0/24'],
  ['192.52.193.1', '192.52.193.0/24'],
  ['192.175.48.1', '192.175.48.0/24'],
  ['192.88.99.1', '192.88.99.0/24'],
  ['192.168.1.1', '192.168.0.0/16'],
  ['198.18.0.1', '198.18.0.0/15'],
  ['198.19.255.255', '198.18.0.0/15'],
  ['198.51.100.7', '198.51.100.0/24'],
  ['203.0.113.9', '203.0.113.0/24'],
  ['224.0.0.1', '224.0.0.0/4'],
  ['239.255.255.250', '224.0.0.0/4'],
  ['240.0.0.1', '240.0.0.0/4'],
  ['255.255.255.254', '240.0.0.0/4'],
  ['255.255.255.255', '255.255.255.255/32'],
  ['::', '::/128'],
  ['::1', '::1/128'],
  ['::1:0:0:1', '::/8'],
  ['::8.8.8.8', '::/96'], // deprecated IPv4-compatible, whatever it carries
  ['2001:1::1', '2001::/23'],
  ['2001:0:808:808::f7f7:f7f7', '2001::/32'], // Teredo, even between public addresses
  ['64:ff9b:1::a00:1', '64:ff9b:1::/48'],
  ['100::1', '100::/64'],
  ['2001:2::1', '2001:2::/48'],
  ['2001:10::1', '2001:10::/28'],
  ['2001:db8::1', '2001:db8::/32'],
  ['3fff::1', '3fff::/20'],
  ['5f00::1', '5f00::/16'],
  ['fc00::1', 'fc00::/7'],
  ['fd00:ec2::254', 'fc00::/7'], // AWS IPv6 metadata
  ['fdff:ffff::1', 'fc00::/7'],
  ['fe80::1', 'fe80::/10'],
  ['febf::1', 'fe80::/10'],
  ['fec0::1', 'fec0::/10'],
  ['ff02::1', 'ff00::/8'],
  ['FF05::1:3', 'ff00::/8'],
]

t.test('every default denied range is refused and named', async (t) => {
  for (const [address, range] of DENIED) t.same(checkPeer(address, strict), { allow: false, range }, address)
})

t.test('the table above covers every default range', async (t) => {
  const named = new Set(DENIED.map(([, r]) => r))
  for (const r of [...SPECIAL_RANGES_IPV4, ...SPECIAL_RANGES_IPV6].filter((range) => range.reserved)) t.ok(named.has(r.cidr), `${r.cidr} is exercised`)
})

t.test('ordinary public addresses are allowed', async (t) => {
  for (const address of ['8.8.8.8', '1.1.1.1', '100.63.255.255', '100.128.0.0', '172.15.255.255', '172.32.0.0', '192.0.3.1', '198.17.255.255', '198.20.0.0', '223.255.255.255', '2a00:1450:4001:80b::200e', '2606:4700::1111', '64:ff9b::808:808', '2002:808:808::1', '::ffff:8.8.8.8']) {
    t.same(checkPeer(address, strict), { allow: true }, address)
  }
})

// Disguised forms of denied IPv4 addresses (coturn CVE-2020-26262 and relatives).
const DISGUISED: [string, string, string][] = [
  ['::ffff:127.0.0.1', '127.0.0.0/8', 'ipv4-mapped'],
  ['::ffff:7f00:1', '127.0.0.0/8', 'ipv4-mapped'],
  ['0:0:0:0:0:ffff:7f00:0001', '127.0.0.0/8', 'ipv4-mapped'],
  ['::ffff:169.254.169.254', '169.254.0.0/16', 'ipv4-mapped'],
  ['::ffff:10.0.0.1', '10.0.0.0/8', 'ipv4-mapped'],
  ['::ffff:0.0.0.0', '0.0.0.0/8', 'ipv4-mapped'],
  ['::127.0.0.1', '127.0.0.0/8', 'ipv4-compatible'],
  ['::192.168.0.1', '192.168.0.0/16', 'ipv4-compatible'],
  ['::ffff:0:127.0.0.1', '127.0.0.0/8', 'ipv4-translated'],
  ['::ffff:0:a9fe:a9fe', '169.254.0.0/16', 'ipv4-translated'],
  ['64:ff9b::127.0.0.1', '127.0.0.0/8', 'nat64'],
  ['64:ff9b::a9fe:a9fe', '169.254.0.0/16', 'nat64'],
  ['2002:7f00:1::1', '127.0.0.0/8', '6to4'],
  ['2002:c0a8:101::', '192.168.0.0/16', '6to4'],
  ['2001:0:7f00:1::1', '127.0.0.0/8', 'teredo-server'],
  ['2001:0:808:808:0:0:80ff:fffe', '127.0.0.0/8', 'teredo-client'], // client 127.0.0.1 obfuscated
  ['2001:0:808:808::5601:5601', '169.254.0.0/16', 'teredo-client'], // client 169.254.169.254
  ['::2', '0.0.0.0/8', 'ipv4-compatible'],
]

t.test('every disguised form of a denied IPv4 address is refused, naming the form', async (t) => {
  for (const [address, range, via] of DISGUISED) t.same(checkPeer(address, strict), { allow: false, range, via }, address)
})

t.test('non-canonical and malformed address text is refused', async (t) => {
  for (const address of ['0177.0.0.1', '0x7f.0.0.1', '127.1', '2130706433', '127.0.0.1.', '127.0.0.01', ' 127.0.0.1', '256.1.1.1', 'fe80::1%eth0', '8.8.8.8%1', '::ffff:0x7f.0.0.1', 'localhost', '', ':::', '1::2::3', '[::1]', '[2001:4860::1]:3478', '010.0.0.1']) {
    t.same(checkPeer(address, strict), { allow: false, range: 'invalid-address' }, JSON.stringify(address))
  }
})

t.test('an operator allow range opens exactly what it contains', async (t) => {
  const loop = compilePeerPolicy({ allow: ['127.0.0.0/8'] })
  t.same(checkPeer('127.0.0.1', loop), { allow: true, override: '127.0.0.0/8' })
  t.same(checkPeer('127.5.6.7', loop), { allow: true, override: '127.0.0.0/8' })
  t.same(checkPeer('::ffff:127.0.0.1', loop), { allow: true, override: '127.0.0.0/8' }, 'the mapped form of an allowed address is the same host')
  t.same(checkPeer('::1', loop), { allow: false, range: '::1/128' }, 'allowing IPv4 loopback does not open IPv6 loopback')
  t.same(checkPeer('10.0.0.1', loop), { allow: false, range: '10.0.0.0/8' }, 'other ranges stay denied')
  const one = compilePeerPolicy({ allow: ['127.0.0.1/32'] })
  t.same(checkPeer('127.0.0.1', one), { allow: true, override: '127.0.0.1/32' })
  t.same(checkPeer('127.0.0.2', one), { allow: false, range: '127.0.0.0/8' }, 'a narrow allow does not open the wider range')
  const half = compilePeerPolicy({ allow: ['10.1.0.0/16'] })
  t.same(checkPeer('10.1.2.3', half), { allow: true, override: '10.1.0.0/16' })
  t.same(checkPeer('10.2.0.1', half), { allow: false, range: '10.0.0.0/8' })
  const v6 = compilePeerPolicy({ allow: ['::1/128', 'fd00::/8'] })
  t.same(checkPeer('::1', v6), { allow: true, override: '::1/128' })
  t.same(checkPeer('fd12::1', v6), { allow: true, override: 'fd00::/8' })
  t.same(checkPeer('fc00::1', v6), { allow: false, range: 'fc00::/7' })
})

t.test('operator deny ranges add to the defaults and beat allow ranges', async (t) => {
  const p = compilePeerPolicy({ allow: ['127.0.0.0/8'], deny: ['127.0.0.99/32', '8.8.4.0/24', '2a00::/16'] })
  t.same(checkPeer('127.0.0.99', p), { allow: false, range: '127.0.0.99/32' })
  t.same(checkPeer('127.0.0.98', p), { allow: true, override: '127.0.0.0/8' })
  t.same(checkPeer('8.8.4.4', p), { allow: false, range: '8.8.4.0/24' })
  t.same(checkPeer('::ffff:8.8.4.4', p), { allow: false, range: '8.8.4.0/24', via: 'ipv4-mapped' })
  t.same(checkPeer('2002:808:404::1', p), { allow: false, range: '8.8.4.0/24', via: '6to4' })
  t.same(checkPeer('2a00:1450::1', p), { allow: false, range: '2a00::/16' })
  t.same(checkPeer('8.8.8.8', p), { allow: true })
})

t.test('bad operator CIDRs are refused with a coded error naming the input', async (t) => {
  t.throws(() => compilePeerPolicy({ allow: ['127.0.0.0/33'] }), { code: 'ERR_PEER_POLICY_CIDR', message: /127\.0\.0\.0\/33/ })
  t.throws(() => compilePeerPolicy({ deny: ['nonsense'] }), { code: 'ERR_PEER_POLICY_CIDR' })
  t.throws(() => compilePeerPolicy({ allow: ['127.0.0.1'] }), { code: 'ERR_PEER_POLICY_CIDR', message: /prefix length/ }, 'a bare address is not a range, as in the config')
  t.throws(() => compilePeerPolicy({ allow: ['127.0.0.1/8'] }), { code: 'ERR_PEER_POLICY_CIDR', message: /did you mean 127\.0\.0\.0\/8/ }, 'host bits set')
})

t.test('a denial is described with the range name and the disguise', async (t) => {
  t.equal(describePeerCheck('::ffff:169.254.169.254', checkPeer('::ffff:169.254.169.254', strict)), '::ffff:169.254.169.254 denied: ipv4-mapped form of an address in 169.254.0.0/16 link-local incl. cloud metadata 169.254.169.254 (RFC 3927)')
})
