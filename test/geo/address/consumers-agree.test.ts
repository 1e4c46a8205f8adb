/**
 * Every consumer of the address toolkit reads an address string the same way: the geo
 * lookup, relay peer safety, config validation, the control plane's client address and
 * the STUN codec. Parsers that disagree are how an SSRF guard and a geo-fence drift apart
 * (ipaddr.js, once used in config, read `::1.2.3.4` as IPv4-mapped and accepted
 * `010.0.0.1`), so this checks random and adversarial strings against all of them at once.
 */
import fc from 'fast-check'
import t from 'tap'

import { isIpAddress as configIsIpAddress, parseHostPort as configHostPort } from '../../../config/host-port.js'
import { normalizeAddress, trustedProxies } from '../../../control-plane/signaling/remote-address.js'
import { parseCidr } from '../../../geo/address/cidr.js'
import { canonicalIp, parseIp } from '../../../geo/address/ip-address.js'
import { GeoLocator } from '../../../geo/lookup.js'
import { parseHostPort as relayHostPort } from '../../../relay/node/host-port.js'
import { ipv4ToString, ipv6ToString, writeIpv4, writeIpv6 } from '../../../relay/proto/ip-bytes.js'
import { checkPeer, compilePeerPolicy } from '../../../relay/peer-safety/index.js'

const SEED = 0x5eed10
const geo = new GeoLocator({ database: null, cacheSize: 0 })
const relayDefaults = compilePeerPolicy()

const dotted = (v: number) => `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`
const hex = (v: number) => `${((v >>> 16) & 0xffff).toString(16)}:${(v & 0xffff).toString(16)}`

/** IPv4 addresses, half of them inside special ranges, where disagreement would matter most. */
const ipv4 = fc.oneof(
  fc.integer({ min: 0, max: 0xffffffff }),
  fc.constantFrom(0x7f000001, 0x0a000001, 0xa9fea9fe, 0xc0a80101, 0x00000000, 0xffffffff, 0x64400001, 0xc0000201, 0x08080808),
)

/** Every spelling and disguise of an IPv4 address the project knows, plus near-misses a lax parser would take. */
const adversarial = fc.tuple(ipv4, fc.nat(40)).map(([v, pick]) => {
  const d = dotted(v)
  const octets = d.split('.')
  const forms = [
    d, `::ffff:${d}`, `::FFFF:${hex(v)}`, `::${d}`, `::ffff:0:${d}`, `64:ff9b::${d}`, `64:ff9b:1::${hex(v)}`,
    `2002:${hex(v)}::1`, `2001:0:${hex(v)}::${hex(~v >>> 0)}`, `0:0:0:0:0:ffff:${hex(v)}`,
    `0${d}`, octets.map((o) => o.padStart(3, '0')).join('.'), `0x${(v >>> 0).toString(16)}`, `${v >>> 0}`,
    `${octets[0]}.${octets[1]}.${(v & 0xffff) >>> 0}`, `${d}.`, ` ${d}`, `${d} `, `${d}:3478`, `[${d}]`,
    `[::ffff:${d}]`, `[::ffff:${d}]:3478`, `::ffff:${d}%eth0`, `fe80::${hex(v)}%eth0`, `fe80::${hex(v)}%`,
    `::ffff:0${d}`, `::1.${d}`, `${d}::`, `1::${d}::1`, `::ffff:${octets.slice(0, 3).join('.')}`,
    `::${hex(v)}`, `::1`, `::`, `:::`, `1:2:3:4:5:6:7:${d}`, `1:2:3:4:5:6:${d}`, `1:2:3:4:5:6:7:8:9`,
    `ff02::${hex(v)}`, `fd00:ec2::${hex(v)}`, `2001:db8::${hex(v)}`, `2a00:1450::${hex(v)}`,
  ]
  return forms[pick % forms.length]!
})

const relayListens = (endpoint: string): boolean => {
  try {
    relayHostPort(endpoint)
    return true
  } catch {
    return false
  }
}

const randomText = fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEFx:.%[]/ '.split('')), maxLength: 24 })
const anything = fc.oneof(adversarial, adversarial, fc.ipV4(), fc.ipV6(), randomText)

t.test('every consumer accepts exactly the strings the one parser accepts', async (t) => {
  fc.assert(
    fc.property(anything, (text) => {
      const scratch = new Uint8Array(16)
      const family = parseIp(text, scratch)
      const valid = family !== 0
      const codec = Buffer.alloc(16)
      const endpoint = text.includes(':') ? `[${text}]:3478` : `${text}:3478`
      const peer = checkPeer(text, relayDefaults)
      const agree = [
        (peer.allow || peer.range !== 'invalid-address') === valid,
        configIsIpAddress(text) === valid,
        parseCidr(`${text}/${family === 6 ? 128 : 32}`).ok === valid,
        (writeIpv4(text, codec, 0) || writeIpv6(text, codec, 0)) === valid,
        // listen addresses: the config's and the relay CLI's host:port readers
        configHostPort(endpoint).ok === valid,
        relayListens(endpoint) === valid,
      ]
      return agree.every(Boolean)
    }),
    { seed: SEED, numRuns: 4000 },
  )
  t.pass(`4000 strings, seed ${SEED}`)
})

t.test('for every address, geo calls it reserved exactly when relay peer safety denies it by default', async (t) => {
  fc.assert(
    fc.property(anything, (text) => {
      if (parseIp(text, new Uint8Array(16)) === 0) return true
      const reserved = geo.lookup(text).source === 'reserved'
      return reserved === !checkPeer(text, relayDefaults).allow
    }),
    { seed: SEED, numRuns: 4000 },
  )
  t.pass(`4000 strings, seed ${SEED}`)
})

t.test('for every address, the control plane, the codec and the config spell and place it the same way', async (t) => {
  fc.assert(
    fc.property(anything, (text) => {
      const bytes = new Uint8Array(16)
      const family = parseIp(text, bytes)
      if (family === 0) return true
      const canonical = canonicalIp(text)
      const codec = Buffer.alloc(16)
      const written = family === 4 ? writeIpv4(text, codec, 0) && ipv4ToString(codec, 0) : writeIpv6(text, codec, 0) && ipv6ToString(codec, 0)
      if (written === false) return false
      // the codec keeps IPv4-mapped as IPv6 (as sockets do); both read back to one canonical address
      const cidr = parseCidr(`${text}/${family === 4 ? 32 : 128}`)
      return normalizeAddress(text) === canonical &&
        canonicalIp(written) === canonical &&
        cidr.ok && trustedProxies([cidr.cidr.text])?.(normalizeAddress(text)) === true
    }),
    { seed: SEED, numRuns: 4000 },
  )
  t.pass(`4000 strings, seed ${SEED}`)
})
