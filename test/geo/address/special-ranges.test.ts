import t from 'tap'

import { parseCidr } from '../../../geo/address/cidr.js'
import { parseIp } from '../../../geo/address/ip-address.js'
import { SPECIAL_RANGES_IPV4, SPECIAL_RANGES_IPV6, isLoopbackIp, specialRange, specialRangeNamed } from '../../../geo/address/special-ranges.js'

const rangeOf = (ip: string): string | undefined => {
  const b = new Uint8Array(16)
  const family = parseIp(ip, b)
  if (family === 0) throw new Error(`bad test address ${ip}`)
  return specialRange(family, b)?.cidr
}

t.test('every entry is a valid range of its family, written canonically, and named', async (t) => {
  for (const [family, table] of [[4, SPECIAL_RANGES_IPV4], [6, SPECIAL_RANGES_IPV6]] as const) {
    for (const range of table) {
      const parsed = parseCidr(range.cidr)
      t.ok(parsed.ok, range.cidr)
      // ::ffff:0:0/96 is the one IPv6 entry that reads as IPv4 (0.0.0.0/0)
      if (parsed.ok && range.cidr !== '::ffff:0:0/96') t.equal(parsed.cidr.family, family, `${range.cidr} is IPv${family}`)
      t.ok(range.name.length > 0 && /RFC \d+/.test(range.name), `${range.cidr} cites its RFC`)
      t.equal(specialRangeNamed(range.cidr), range)
    }
  }
})

t.test('the most specific block answers', async (t) => {
  t.equal(rangeOf('255.255.255.255'), '255.255.255.255/32')
  t.equal(rangeOf('255.255.255.254'), '240.0.0.0/4')
  t.equal(rangeOf('::1'), '::1/128')
  t.equal(rangeOf('::2'), '::/96')
  t.equal(rangeOf('::1:0:0:1'), '::/8')
  t.equal(rangeOf('2001::1'), '2001::/32')
  t.equal(rangeOf('2001:1::1'), '2001::/23')
  t.equal(rangeOf('2001:2::1'), '2001:2::/48')
  t.equal(rangeOf('8.8.8.8'), undefined)
  t.equal(rangeOf('2a00:1450::1'), undefined)
})

t.test('loopback is 127.0.0.0/8 and ::1 and nothing else', async (t) => {
  const loop = (ip: string) => {
    const b = new Uint8Array(16)
    const family = parseIp(ip, b)
    return family !== 0 && isLoopbackIp(family, b)
  }
  t.same(['127.0.0.1', '127.255.0.9', '::1', '::2', '10.0.0.1', '::ffff:127.0.0.1', '0.0.0.0'].map(loop), [true, true, true, false, false, false, false])
})
