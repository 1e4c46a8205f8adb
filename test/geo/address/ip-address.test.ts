import t from 'tap'
import { canonicalIp, formatIp, isIpAddress, parseHostIp, parseIp, parseIpv4Into } from '../../../geo/address/ip-address.js'

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

t.test('parsing a host address reports the family and maps IPv4-mapped IPv6 to IPv4', async (t) => {
  const b = new Uint8Array(16)
  t.equal(parseHostIp('10.1.2.3', b), 4)
  t.same([...b.slice(0, 4)], [10, 1, 2, 3])
  t.equal(parseHostIp('::ffff:10.1.2.3', b), 4)
  t.same([...b.slice(0, 4)], [10, 1, 2, 3])
  t.equal(parseHostIp('2001:db8::ff', b), 6)
  t.same([...b], [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff])
  t.equal(parseHostIp('x', b), 0)
})

t.test('a bare literal keeps IPv4-mapped IPv6 as IPv6 and refuses brackets, ports and zones', async (t) => {
  const b = new Uint8Array(16)
  t.equal(parseIp('::ffff:10.1.2.3', b), 6, 'a peer check must see the disguise')
  t.same([...b.slice(10)], [0xff, 0xff, 10, 1, 2, 3])
  t.equal(parseIp('::1.2.3.4', b), 6, 'IPv4-compatible, not mapped')
  t.same([...b.slice(12)], [1, 2, 3, 4])
  t.equal(b[11], 0)
  for (const text of ['[::1]', '[::1]:3478', 'fe80::1%eth0', '1.2.3.4:80', '010.0.0.1', '127.1', '0x7f.0.0.1', '2130706433']) {
    t.equal(parseIp(text, b), 0, JSON.stringify(text))
    t.equal(isIpAddress(text), false, JSON.stringify(text))
  }
  t.ok(isIpAddress('2001:db8::1') && isIpAddress('192.0.2.1'))
})

t.test('a dotted quad is written straight at an offset, and nothing else is taken', async (t) => {
  const b = new Uint8Array(8)
  t.ok(parseIpv4Into('10.1.2.3', b, 2))
  t.same([...b], [0, 0, 10, 1, 2, 3, 0, 0])
  for (const text of ['010.0.0.1', '::ffff:1.2.3.4', '1.2.3', '1.2.3.4.5', '255.255.255.256', '']) t.notOk(parseIpv4Into(text, b, 0), JSON.stringify(text))
})

t.test('IPv4-mapped IPv6 is formatted in mixed notation (RFC 5952 §5)', async (t) => {
  const b = new Uint8Array(16)
  t.equal(parseIp('0:0:0:0:0:FFFF:7F00:1', b), 6)
  t.equal(formatIp(6, b), '::ffff:127.0.0.1')
})

t.test('every IPv4 and IPv6 address parses to the spelling the WHATWG URL parser gives it (property)', async (t) => {
  const fc = (await import('fast-check')).default
  // An independent reference: the URL host parser serializes IPv6 the RFC 5952 way (first
  // longest run of two or more zero groups compressed) and reads `::1.2.3.4` as
  // IPv4-compatible. Only the unwrapping of IPv4-mapped addresses is ours.
  const reference = (ip: string) => {
    if (!ip.includes(':')) return new URL(`http://${ip}/`).hostname
    const host = new URL(`http://[${ip}]/`).hostname.slice(1, -1)
    const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host)
    if (!mapped) return host
    const [hi, lo] = [parseInt(mapped[1]!, 16), parseInt(mapped[2]!, 16)]
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`
  }
  fc.assert(fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (ip) => canonicalIp(ip) === reference(ip) && canonicalIp(ip.toUpperCase()) === reference(ip)), { numRuns: 1000 })
  t.pass('1000 generated addresses agree')
})

t.test('random bytes survive format → parse in full, compressed and mapped spellings (property)', async (t) => {
  const fc = (await import('fast-check')).default
  fc.assert(fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.boolean(), (bytes, zeroRun) => {
    if (zeroRun) bytes.fill(0, 4, 10)
    const out = new Uint8Array(16)
    const compressed = formatIp(6, bytes)
    const full = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i]! << 8) | bytes[2 * i + 1]!).toString(16).padStart(4, '0')).join(':')
    for (const text of [compressed, full]) {
      const family = parseHostIp(text, out)
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
