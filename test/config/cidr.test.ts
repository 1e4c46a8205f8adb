import t from 'tap'

import { overlappingPairs, parseCidr, rangesOverlap, type CidrRange } from '../../config/cidr.js'

function range(text: string): CidrRange {
  const parsed = parseCidr(text)
  if (!parsed.ok) throw new Error(parsed.reason)
  return parsed.range
}

t.test('overlap is decided in one address space for IPv4, IPv6 and IPv4-mapped IPv6', async (t) => {
  const cases: [string, string, boolean][] = [
    ['10.0.0.0/8', '10.1.0.0/16', true],
    ['10.0.0.0/8', '11.0.0.0/8', false],
    ['127.1.0.0/16', '127.2.0.0/16', false],
    ['192.0.2.7/32', '192.0.2.0/24', true],
    ['10.0.0.0/8', '10.0.0.0/32', true],
    ['10.255.255.255/32', '10.0.0.0/8', true],
    ['10.0.0.0/32', '10.0.0.0/32', true],
    ['10.0.0.0/32', '10.0.0.1/32', false],
    ['0.0.0.0/0', '203.0.113.0/24', true],
    ['2001:db8::/32', '2001:db8:ffff::/48', true],
    ['2001:db8::/32', '2001:db9::/32', false],
    ['::/0', '10.0.0.0/8', true],
    ['::ffff:10.0.0.0/104', '10.0.0.0/8', true],
    ['::ffff:10.1.2.3/128', '10.1.2.0/24', true],
    ['::ffff:0:0/96', '127.0.0.0/8', true],
    ['::a00:0/104', '10.0.0.0/8', false],
    ['64:ff9b::/96', '10.0.0.0/8', false],
  ]
  for (const [a, b, expected] of cases) {
    t.equal(rangesOverlap(range(a), range(b)), expected, `${a} ${expected ? 'overlaps' : 'does not overlap'} ${b}`)
    t.equal(rangesOverlap(range(b), range(a)), expected, 'symmetric')
  }
})

t.test('overlappingPairs finds every pair, nested or repeated, in input order', async (t) => {
  const ranges = ['10.0.0.0/8', '192.168.0.0/16', '10.1.0.0/16', '10.1.2.0/24', '::ffff:192.168.1.0/120', '172.16.0.0/12'].map(range)
  t.same(overlappingPairs(ranges), [[0, 2], [0, 3], [1, 4], [2, 3]])
  t.same(overlappingPairs([range('10.0.0.0/8'), undefined, range('10.0.0.0/8')]), [[0, 2]])
  t.same(overlappingPairs([]), [])
})

t.test('invalid CIDRs are refused with a reason', async (t) => {
  const bad: [string, RegExp][] = [
    ['10.0.0.0', /prefix length/],
    ['10.0.0.0/33', /at most 32/],
    ['2001:db8::/129', /at most 128/],
    ['10.0.0.0/08', /invalid prefix length/],
    ['10.0.0.0/-1', /invalid prefix length/],
    ['10.0/8', /not an IPv4/],
    ['0x0a.0.0.0/8', /not an IPv4/],
    ['fe80::1%eth0/64', /not an IPv4/],
    ['example.com/24', /not an IPv4/],
    ['10.0.0.1/8', /did you mean 10\.0\.0\.0\/8/],
    ['2001:db8::1/32', /did you mean 2001:db8::\/32/],
  ]
  for (const [text, reason] of bad) {
    const parsed = parseCidr(text)
    t.equal(parsed.ok, false, `${text} is refused`)
    if (!parsed.ok) t.match(parsed.reason, reason)
  }
})

t.test('a single address is a /32 or /128 range', async (t) => {
  const v4 = range('192.0.2.1/32')
  t.equal(v4.first, v4.last)
  t.equal(v4.family, 'ipv4')
  const v6 = range('2001:db8::1/128')
  t.equal(v6.first, v6.last)
  t.equal(v6.family, 'ipv6')
})

t.test('overlap agrees with asking ipaddr.js whether one range holds the other network address', async (t) => {
  const fc = (await import('fast-check')).default
  const ipaddr = (await import('ipaddr.js')).default
  const v4 = fc.tuple(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }), fc.integer({ min: 0, max: 32 })).map(([octets, length]) => {
    const network = ipaddr.IPv4.networkAddressFromCIDR(`${octets.join('.')}/${length}`)
    return { text: `${network.toString()}/${length}`, mapped: `::ffff:${network.toString()}/${96 + length}` }
  })
  // Small octet values make overlaps frequent enough to matter.
  const smallV4 = fc.tuple(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 4, maxLength: 4 }), fc.integer({ min: 0, max: 32 })).map(([octets, length]) => {
    const network = ipaddr.IPv4.networkAddressFromCIDR(`${octets.join('.')}/${length}`)
    return { text: `${network.toString()}/${length}`, mapped: `::ffff:${network.toString()}/${96 + length}` }
  })
  const anyV4 = fc.oneof(v4, smallV4)
  fc.assert(
    fc.property(anyV4, anyV4, fc.boolean(), (a, b, mapB) => {
      const [addressA, lengthA] = ipaddr.IPv4.parseCIDR(a.text)
      const [addressB, lengthB] = ipaddr.IPv4.parseCIDR(b.text)
      const truth = addressA.match(addressB, Math.min(lengthA, lengthB))
      return rangesOverlap(range(a.text), range(mapB ? b.mapped : b.text)) === truth
    }),
    { numRuns: 500, seed: 20261125 },
  )
  t.pass('500 random pairs agree')
})

t.test('overlappingPairs finds exactly the pairs a brute-force comparison finds', async (t) => {
  const fc = (await import('fast-check')).default
  const cidr = fc.tuple(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 15 }), fc.integer({ min: 4, max: 16 })).map(([a, b, length]) => {
    const value = ((a << 12) | (b << 8)) & ~((1 << (16 - length)) - 1) & 0xffff
    return `10.${value >> 8}.${value & 0xff}.0/${length + 8}`
  })
  fc.assert(
    fc.property(fc.array(cidr, { maxLength: 12 }), (texts) => {
      const ranges = texts.map(range)
      const brute: [number, number][] = []
      for (let i = 0; i < ranges.length; i++) {
        for (let j = i + 1; j < ranges.length; j++) if (rangesOverlap(ranges[i] as CidrRange, ranges[j] as CidrRange)) brute.push([i, j])
      }
      return JSON.stringify(overlappingPairs(ranges)) === JSON.stringify(brute)
    }),
    { numRuns: 200, seed: 20261125 },
  )
  t.pass('200 random lists agree')
})
