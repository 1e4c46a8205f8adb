import t from 'tap'
import { ipv6ToString, writeIpv4, writeIpv6 } from '../../../relay/proto/ip-bytes.js'

const v6 = (text: string): string | false => {
  const b = Buffer.alloc(16)
  return writeIpv6(text, b, 0) && b.toString('hex')
}

t.test('IPv6 text parses per RFC 4291 including a dotted-quad tail', async (t) => {
  t.equal(v6('::'), '0'.repeat(32))
  t.equal(v6('::1'), '0'.repeat(31) + '1')
  t.equal(v6('2001:DB8::1'), '20010db8' + '0'.repeat(23) + '1')
  t.equal(v6('1:2:3:4:5:6:7:8'), '00010002000300040005000600070008')
  t.equal(v6('::127.0.0.1'), '0'.repeat(24) + '7f000001', 'IPv4-compatible stays compatible')
  t.equal(v6('::ffff:127.0.0.1'), '0'.repeat(20) + 'ffff7f000001')
  t.equal(v6('1:2:3:4:5:6:1.2.3.4'), '00010002000300040005000601020304')
})

t.test('malformed IPv6 text is refused', async (t) => {
  for (const bad of ['', ':', ':::', '1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '12345::', 'g::', '::ffff:0x7f.0.0.1', '1.2.3.4::', '::1.2.3', 'fe80::1%eth0', ' ::1']) {
    t.equal(v6(bad), false, JSON.stringify(bad))
  }
})

t.test('IPv4 text must be a strict dotted quad', async (t) => {
  const b = Buffer.alloc(4)
  t.ok(writeIpv4('10.20.30.40', b, 0))
  t.equal(b.toString('hex'), '0a141e28')
  for (const bad of ['1.2.3', '1.2.3.4.5', '01.2.3.4', '256.0.0.1', '1.2.3.-4', '1..3.4', '0x1.2.3.4', '']) t.notOk(writeIpv4(bad, b, 0), bad)
})

t.test('IPv6 bytes print in RFC 5952 form with mapped addresses dotted', async (t) => {
  t.equal(ipv6ToString(Buffer.from('20010db8000000000000000000000001', 'hex'), 0), '2001:db8::1')
  t.equal(ipv6ToString(Buffer.from('00000000000000000000ffff7f000001', 'hex'), 0), '::ffff:127.0.0.1')
})
