import t from 'tap'

import { embeddedIpv4 } from '../../../geo/address/embedded-ipv4.js'
import { parseIp } from '../../../geo/address/ip-address.js'

const embedded = (ip: string): string[] => {
  const b = new Uint8Array(16)
  if (parseIp(ip, b) !== 6) throw new Error(`bad test address ${ip}`)
  return embeddedIpv4(b).map((e) => `${e.form} ${e.bytes.join('.')}`)
}

t.test('each disguise form yields the IPv4 address it carries', async (t) => {
  t.same(embedded('::ffff:127.0.0.1'), ['ipv4-mapped 127.0.0.1'])
  t.same(embedded('::10.0.0.1'), ['ipv4-compatible 10.0.0.1'])
  t.same(embedded('::ffff:0:169.254.169.254'), ['ipv4-translated 169.254.169.254'])
  t.same(embedded('64:ff9b::192.168.1.1'), ['nat64 192.168.1.1'])
  t.same(embedded('2002:c0a8:101:1::1'), ['6to4 192.168.1.1'])
  t.same(embedded('2001:0:4136:e378:8000:63bf:3fff:fdd2'), ['teredo-server 65.54.227.120', 'teredo-client 192.0.2.45'], 'RFC 4380 §4 example: the client address is inverted')
})

t.test('ordinary IPv6 addresses, ::, ::1 and the local-use NAT64 prefix carry nothing', async (t) => {
  for (const ip of ['2a00:1450::1', '::', '::1', '64:ff9b:1::a00:1', 'fe80::1', '2001:db8::1']) t.same(embedded(ip), [], ip)
})
