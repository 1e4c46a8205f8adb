import t from 'tap'
import { parseHostIp } from '../../geo/address/ip-address.js'
import { Overrides } from '../../geo/overrides.js'

const countryOf = (o: Overrides, ip: string): string | undefined => {
  const b = new Uint8Array(16)
  const family = parseHostIp(ip, b)
  if (family === 0) throw new Error(`bad test address ${ip}`)
  return o.matchBytes(family, b)?.country
}

t.test('the longest matching prefix wins, whatever order the rules were given in', async (t) => {
  const rules = [
    { cidr: '10.0.0.0/8', country: 'DE' },
    { cidr: '10.9.0.0/16', country: 'FR' },
    { cidr: '10.9.9.0/24', country: 'IT' },
    { cidr: '10.9.9.9/32', country: 'ES' },
    { cidr: '2001:db8::/32', country: 'NL' },
    { cidr: '2001:db8:1::/48', country: 'BE' },
  ]
  const cases: Array<[string, string | undefined]> = [
    ['10.1.1.1', 'DE'], ['10.9.1.1', 'FR'], ['10.9.9.1', 'IT'], ['10.9.9.9', 'ES'], ['11.0.0.1', undefined],
    ['2001:db8::5', 'NL'], ['2001:db8:1::5', 'BE'], ['2001:db9::1', undefined], ['::ffff:10.9.9.9', 'ES'],
  ]
  for (const order of [rules, [...rules].reverse()]) {
    const o = Overrides.compile(order)
    for (const [ip, expected] of cases) t.equal(countryOf(o, ip), expected, `${ip} → ${expected ?? 'no override'}`)
  }
})

t.test('a /0 override covers its whole family and nothing of the other', async (t) => {
  const o = Overrides.compile([{ cidr: '0.0.0.0/0', country: 'SE' }])
  t.equal(countryOf(o, '1.2.3.4'), 'SE')
  t.equal(countryOf(o, '2001:db8::1'), undefined)
})

t.test('bad rules are refused with a coded error naming the rule', async (t) => {
  const cases: Array<[{ cidr: string; country: string }[], string, RegExp]> = [
    [[{ cidr: '10.1.0.0/8', country: 'DE' }], 'GEO_CIDR_INVALID', /overrides\[0\]\.cidr/],
    [[{ cidr: 'nope', country: 'DE' }], 'GEO_CIDR_INVALID', /overrides\[0\]\.cidr/],
    [[{ cidr: '10.0.0.0/8', country: 'ZZ' }], 'GEO_COUNTRY_UNKNOWN', /overrides\[0\]\.country/],
    [[{ cidr: '10.0.0.0/8', country: 'DE' }, { cidr: '10.0.0.0/8', country: 'FR' }], 'GEO_CIDR_DUPLICATE', /overrides\[1\]\.cidr/],
  ]
  for (const [rules, code, message] of cases) {
    t.throws(() => Overrides.compile(rules), { name: 'GeoError', code, message }, code)
  }
})
