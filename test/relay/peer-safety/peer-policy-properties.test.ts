/**
 * Properties of peer safety over many addresses (fixed seed): no IPv6 disguise of a
 * denied IPv4 address is allowed, and an allow range opens nothing outside itself.
 */
import fc from 'fast-check'
import t from 'tap'
import { SPECIAL_RANGES_IPV4 } from '../../../geo/address/special-ranges.js'
import { checkPeer, compilePeerPolicy } from '../../../relay/peer-safety/index.js'

const SEED = 0xfeed
const strict = compilePeerPolicy()
const hex4 = (v: number) => (v >>> 0).toString(16).padStart(8, '0')
const dotted = (v: number) => `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`
const group = (v: number, hi: boolean) => (hi ? (v >>> 16) : v & 0xffff).toString(16)

/** Every way this project knows to hide an IPv4 address inside an IPv6 one. */
const disguises = (v: number): string[] => [
  `::ffff:${dotted(v)}`,
  `::ffff:${group(v, true)}:${group(v, false)}`,
  `::${dotted(v)}`,
  `::ffff:0:${dotted(v)}`,
  `64:ff9b::${dotted(v)}`,
  `2002:${group(v, true)}:${group(v, false)}::1`,
  `2001:0:${group(v, true)}:${group(v, false)}::f7f7:f7f7`, // Teredo server v, client 8.8.8.8 (public)
  `2001:0:808:808::${group(~v >>> 0, true)}:${group(~v >>> 0, false)}`,
]

/** A uniformly chosen address inside a random default denied IPv4 range. */
const deniedIpv4 = fc
  .tuple(fc.constantFrom(...SPECIAL_RANGES_IPV4.map((r) => r.cidr)), fc.integer({ min: 0, max: 0xffffffff }))
  .map(([cidr, r]) => {
    const [base, bits] = cidr.split('/') as [string, string]
    const net = base.split('.').reduce((a, o) => a * 256 + Number(o), 0)
    const hostBits = 32 - Number(bits)
    const host = hostBits === 0 ? 0 : r % 2 ** hostBits
    return net + host
  })

t.test('no disguise of an address in a denied IPv4 range is allowed', async (t) => {
  fc.assert(
    fc.property(deniedIpv4, (v) => {
      // 0.0.0.0 and 0.0.0.1 in the compatible form are :: and ::1, denied as themselves.
      return checkPeer(dotted(v), strict).allow === false && disguises(v).every((a) => checkPeer(a, strict).allow === false)
    }),
    { seed: SEED, numRuns: 3000 },
  )
  t.pass(`checked with seed ${SEED}`)
})

t.test('an IPv4 address is judged the same in its mapped, translated and NAT64 forms', async (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), (v) => {
      const plain = checkPeer(dotted(v), strict).allow
      return [`::ffff:${dotted(v)}`, `::ffff:0:${dotted(v)}`, `64:ff9b::${hex4(v).slice(0, 4)}:${hex4(v).slice(4)}`].every((a) => checkPeer(a, strict).allow === plain)
    }),
    { seed: SEED, numRuns: 3000 },
  )
  t.pass(`checked with seed ${SEED}`)
})

t.test('an operator allow range inside 10.0.0.0/8 opens exactly its own addresses', async (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 9, max: 32 }), fc.integer({ min: 0, max: 0xffffff }), fc.integer({ min: 0, max: 0xffffff }), (bits, netSeed, probeSeed) => {
      const mask = (0xffffffff << (32 - bits)) >>> 0
      const net = ((0x0a000000 | netSeed) & mask) >>> 0
      const policy = compilePeerPolicy({ allow: [`${dotted(net)}/${bits}`] })
      const probe = (0x0a000000 | probeSeed) >>> 0
      const inside = ((probe & mask) >>> 0) === net
      return checkPeer(dotted(probe), policy).allow === inside
    }),
    { seed: SEED, numRuns: 3000 },
  )
  t.pass(`checked with seed ${SEED}`)
})
