import t from 'tap'
import { decodeXorAddress, encodeXorAddress } from '../../../relay/proto/xor-address.js'

const TID = Buffer.from('b7e7a701bc34d686fa87dfae', 'hex')

t.test('IPv4 and IPv6 addresses round-trip through the XOR form', async (t) => {
  for (const addr of [
    { family: 4 as const, address: '0.0.0.0', port: 0 },
    { family: 4 as const, address: '255.255.255.255', port: 65535 },
    { family: 4 as const, address: '127.0.0.1', port: 3478 },
    { family: 6 as const, address: '::1', port: 1 },
    { family: 6 as const, address: '2001:db8::1', port: 49152 },
    { family: 6 as const, address: '::ffff:10.0.0.1', port: 5000 },
    { family: 6 as const, address: 'fe80::1:2:3:4', port: 9 },
  ]) {
    t.same(decodeXorAddress(encodeXorAddress(addr, TID), TID), addr, `${addr.address}:${addr.port}`)
  }
})

t.test('the port and address bytes on the wire are XOR-ed with the cookie', async (t) => {
  const v = encodeXorAddress({ family: 4, address: '192.0.2.1', port: 32853 }, TID)
  t.equal(v.toString('hex'), '0001a147e112a643', 'RFC 5769 §2.2 bytes')
})

t.test('the IPv4-compatible form is not confused with the IPv4-mapped form', async (t) => {
  const v = encodeXorAddress({ family: 6, address: '::127.0.0.1', port: 1 }, TID)
  t.equal(decodeXorAddress(v, TID).address, '::7f00:1')
})

t.test('decoding does not modify the received bytes', async (t) => {
  const v = encodeXorAddress({ family: 6, address: '2001:db8::1', port: 1 }, TID)
  const copy = Buffer.from(v)
  decodeXorAddress(v, TID)
  t.same(v, copy)
})

t.test('bad families and lengths are coded decode errors; bad text is a RangeError', async (t) => {
  t.throws(() => decodeXorAddress(Buffer.from('0003000001020304', 'hex'), TID), { code: 'ERR_STUN_ADDRESS_FAMILY' })
  t.throws(() => decodeXorAddress(Buffer.from('00010000010203', 'hex'), TID), { code: 'ERR_STUN_BAD_ATTRIBUTE' })
  t.throws(() => decodeXorAddress(Buffer.from('0002000001020304', 'hex'), TID), { code: 'ERR_STUN_BAD_ATTRIBUTE' })
  t.throws(() => decodeXorAddress(Buffer.alloc(2), TID), { code: 'ERR_STUN_BAD_ATTRIBUTE' })
  t.throws(() => encodeXorAddress({ family: 4, address: '::1', port: 1 }, TID), RangeError)
  t.throws(() => encodeXorAddress({ family: 6, address: '1.2.3.4', port: 1 }, TID), RangeError)
  t.throws(() => encodeXorAddress({ family: 4, address: '1.2.3.4', port: 70000 }, TID), RangeError)
})
