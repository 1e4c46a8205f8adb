import t from 'tap'
import { canonicalIp, parseCidr, parseIpInto } from '../../geo/ip.js'

t.test('addresses are written one canonical way, whatever form they arrive in', async (t) => {
  const cases: Array<[string, string | null]> = [
    ['8.8.8.8', '8.8.8.8'],
    ['0.0.0.0', '0.0.0.0'],
    ['255.255.255.255', '255.255.255.255'],
    ['::ffff:8.8.8.8', '8.8.8.8'],
    ['::FFFF:8.8.8.8', '8.8.8.8'],
    ['::ffff:808:808', '8.8.8.8'],
    ['0:0:0:0:0:ffff:0808:0808', '8.8.8.8'],
    ['[::ffff:1.2.3.4]:3478', '1.2.3.4'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8::1', '2001:db8::1'],
    ['[2001:db8::1]', '2001:db8::1'],
    ['[2001:db8::1]:443', '2001:db8::1'],
    ['fe80::1%eth0', 'fe80::1'],
    ['[fe80::1%25eth0]:80', 'fe80::1'],
    ['::', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['1:0:0:2:0:0:3:4', '1::2:0:0:3:4'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ['::2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
    ['::1.2.3.4', '::102:304'], // IPv4-compatible (deprecated), not IPv4-mapped
    ['::ffff:0:1.2.3.4', '::ffff:0:102:304'], // IPv4-translated (RFC 2765), not mapped either
  ]
  for (const [input, expected] of cases) t.equal(canonicalIp(input), expected, `${input} → ${expected}`)
})

t.test('anything that is not exactly an address is refused', async (t) => {
  const bad = [
    '', 'nonsense', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1.2.3.-1', '01.2.3.4', '1.2.3.04', '1..2.3', '1.2.3.4 ',
    ' 1.2.3.4', '1.2.3.4:80', ':::', '1:::2', '1::2::3', ':1::', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7:8::',
    '12345::', 'g::1', '1:2:3:4:5:6:7', '[::1', '[::1]x', '[::1]:99999', '::1%', '::ffff:1.2.3.256',
    '1.2.3.4::', '::1.2.3.4:5', 'localhost',
  ]
  for (const input of bad) t.equal(canonicalIp(input), null, JSON.stringify(input))
})

t.test('parsing reports the family and maps IPv4-mapped IPv6 to IPv4', async (t) => {
  const b = new Uint8Array(16)
  t.equal(parseIpInto('10.1.2.3', b), 4)
  t.same([...b.slice(0, 4)], [10, 1, 2, 3])
  t.equal(parseIpInto('::ffff:10.1.2.3', b), 4)
  t.same([...b.slice(0, 4)], [10, 1, 2, 3])
  t.equal(parseIpInto('2001:db8::ff', b), 6)
  t.same([...b], [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff])
  t.equal(parseIpInto('x', b), 0)
})

t.test('CIDRs parse with host bits clear and are refused otherwise', async (t) => {
  const good: Array<[string, 4 | 6, number]> = [
    ['10.0.0.0/8', 4, 8], ['0.0.0.0/0', 4, 0], ['1.2.3.4/32', 4, 32], ['2001:db8::/32', 6, 32], ['::/0', 6, 0],
    ['::1/128', 6, 128], ['::ffff:10.0.0.0/104', 4, 8],
  ]
  for (const [text, family, prefix] of good) {
    const c = parseCidr(text)
    t.ok(c, text)
    t.equal(c?.family, family, `${text} family`)
    t.equal(c?.prefix, prefix, `${text} prefix`)
  }
  for (const text of ['10.1.0.0/8', '10.0.0.0/33', '10.0.0.0', '10.0.0.0/', '10.0.0.0/08', '2001:db8::1/32', '::/129', 'x/8', '[::1]/128', '::ffff:10.0.0.0/64']) {
    t.equal(parseCidr(text), null, text)
  }
})

t.test('every IPv4 and IPv6 address parses to the spelling ipaddr.js gives it (property)', async (t) => {
  const fc = (await import('fast-check')).default
  const ipaddr = (await import('ipaddr.js')).default
  // ipaddr.process also unwraps the deprecated IPv4-compatible ::a.b.c.d; only mapped ::ffff:a.b.c.d is IPv4 here
  const reference = (ip: string) => {
    const a = ipaddr.parse(ip)
    if (a.kind() === 'ipv4') return a.toString()
    const v6 = a as InstanceType<typeof ipaddr.IPv6>
    return v6.isIPv4MappedAddress() ? v6.toIPv4Address().toString() : v6.toRFC5952String()
  }
  // ipaddr.js reads any IPv6 with a trailing dotted quad as IPv4-mapped (`::1.2.3.4` →
  // ::ffff:1.2.3.4), which RFC 4291 §2.5.5.1 does not; those spellings are covered by the
  // table above instead.
  fc.assert(fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (ip) => (ip.includes(':') && ip.includes('.')) || canonicalIp(ip) === reference(ip) && canonicalIp(ip.toUpperCase()) === reference(ip)), { numRuns: 1000 })
  t.pass('1000 generated addresses agree')
})

t.test('random bytes survive format → parse in full, compressed and mapped spellings (property)', async (t) => {
  const fc = (await import('fast-check')).default
  const { formatIp } = await import('../../geo/ip.js')
  fc.assert(fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.boolean(), (bytes, zeroRun) => {
    if (zeroRun) bytes.fill(0, 4, 10)
    const out = new Uint8Array(16)
    const compressed = formatIp(6, bytes)
    const full = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i]! << 8) | bytes[2 * i + 1]!).toString(16).padStart(4, '0')).join(':')
    for (const text of [compressed, full]) {
      const family = parseIpInto(text, out)
      const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff
      if (mapped) {
        if (family !== 4 || out.slice(0, 4).join() !== bytes.slice(12).join()) return false
      } else if (family !== 6 || out.join() !== bytes.join()) return false
    }
    return true
  }), { numRuns: 1000 })
  t.pass('1000 random addresses round-trip')
})

t.test('strings the parser accepts are addresses to Node as well (property)', async (t) => {
  const fc = (await import('fast-check')).default
  const { isIP } = await import('node:net')
  const chars = fc.constantFrom(...'0123456789abcdefABCDEF:.'.split(''))
  fc.assert(fc.property(fc.string({ unit: chars, maxLength: 24 }), (s) => canonicalIp(s) === null || isIP(s) !== 0), { numRuns: 5000 })
  t.pass('no false accepts in 5000 random strings')
})
