import t from 'tap'

import { cidrsOverlap, formatCidr, overlappingPairs, parseCidr, type Cidr } from '../../../geo/address/cidr.js'

function range(text: string): Cidr {
  const parsed = parseCidr(text)
  if (!parsed.ok) throw new Error(parsed.reason)
  return parsed.cidr
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
    t.equal(cidrsOverlap(range(a), range(b)), expected, `${a} ${expected ? 'overlaps' : 'does not overlap'} ${b}`)
    t.equal(cidrsOverlap(range(b), range(a)), expected, 'symmetric')
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

t.test('a range parses to its family, network bytes and prefix, mapped IPv6 becoming IPv4', async (t) => {
  const good: Array<[string, 4 | 6, number, string]> = [
    ['10.0.0.0/8', 4, 8, '10.0.0.0/8'], ['0.0.0.0/0', 4, 0, '0.0.0.0/0'], ['1.2.3.4/32', 4, 32, '1.2.3.4/32'],
    ['2001:DB8::/32', 6, 32, '2001:db8::/32'], ['::/0', 6, 0, '::/0'], ['::1/128', 6, 128, '::1/128'],
    ['::ffff:10.0.0.0/104', 4, 8, '10.0.0.0/8'], ['::ffff:0:0/96', 4, 0, '0.0.0.0/0'], ['::a00:0/104', 6, 104, '::a00:0/104'],
  ]
  for (const [text, family, prefix, canonical] of good) {
    const c = range(text)
    t.equal(c.family, family, `${text} family`)
    t.equal(c.prefix, prefix, `${text} prefix`)
    t.equal(formatCidr(c), canonical, `${text} is ${canonical}`)
    t.equal(c.text, text, 'the text as written is kept for messages')
  }
  for (const text of ['10.0.0.0/', '[::1]/128', '::ffff:10.0.0.0/64', '010.0.0.0/8', '::1.2.3.4/200', ' 10.0.0.0/8']) t.equal(parseCidr(text).ok, false, text)
})

t.test('overlap agrees with comparing the network bits two IPv4 ranges share', async (t) => {
  const fc = (await import('fast-check')).default
  const network = (octets: number[], length: number): number => {
    const value = octets.reduce((a, o) => a * 256 + o, 0)
    return length === 0 ? 0 : Number((BigInt(value) >> BigInt(32 - length)) << BigInt(32 - length))
  }
  const dotted = (v: number) => `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`
  const cidr = (octetMax: number) => fc.tuple(fc.array(fc.integer({ min: 0, max: octetMax }), { minLength: 4, maxLength: 4 }), fc.integer({ min: 0, max: 32 })).map(([octets, length]) => {
    const net = network(octets, length)
    return { net, length, text: `${dotted(net)}/${length}`, mapped: `::ffff:${dotted(net)}/${96 + length}` }
  })
  // Small octet values make overlaps frequent enough to matter.
  const anyV4 = fc.oneof(cidr(255), cidr(3))
  fc.assert(
    fc.property(anyV4, anyV4, fc.boolean(), (a, b, mapB) => {
      const shared = Math.min(a.length, b.length)
      const truth = shared === 0 || Math.floor(a.net / 2 ** (32 - shared)) === Math.floor(b.net / 2 ** (32 - shared))
      return cidrsOverlap(range(a.text), range(mapB ? b.mapped : b.text)) === truth
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
        for (let j = i + 1; j < ranges.length; j++) if (cidrsOverlap(ranges[i] as Cidr, ranges[j] as Cidr)) brute.push([i, j])
      }
      return JSON.stringify(overlappingPairs(ranges)) === JSON.stringify(brute)
    }),
    { numRuns: 200, seed: 20261125 },
  )
  t.pass('200 random lists agree')
})
