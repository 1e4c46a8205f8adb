import t, { type Test } from 'tap'
import { StunDecodeError } from '../../../relay/errors.js'
import {
  Attr,
  MessageClass,
  Method,
  classOf,
  decodeMessage,
  encodeMessage,
  getAttribute,
  isStunMessage,
  messageType,
  methodOf,
} from '../../../relay/proto/index.js'

const TID = Buffer.from('0102030405060708090a0b0c', 'hex')

t.test('message types interleave method and class bits as RFC 8489 §5 draws them', async (t) => {
  t.equal(messageType(Method.Binding, MessageClass.Request), 0x0001)
  t.equal(messageType(Method.Binding, MessageClass.SuccessResponse), 0x0101)
  t.equal(messageType(Method.Binding, MessageClass.ErrorResponse), 0x0111)
  t.equal(messageType(Method.Allocate, MessageClass.Request), 0x0003)
  t.equal(messageType(Method.Allocate, MessageClass.ErrorResponse), 0x0113)
  t.equal(messageType(Method.Send, MessageClass.Indication), 0x0016)
  t.equal(messageType(Method.Data, MessageClass.Indication), 0x0017)
  t.equal(messageType(Method.ChannelBind, MessageClass.SuccessResponse), 0x0109)
  for (let method = 0; method < 0x1000; method += 37) {
    for (const cls of [0, 1, 2, 3] as MessageClass[]) {
      const type = messageType(method, cls)
      if (methodOf(type) !== method || classOf(type) !== cls) t.fail(`method ${method} class ${cls} does not round-trip`)
    }
  }
})

t.test('an encoded message decodes to the same method, class, id and attributes', async (t) => {
  const raw = encodeMessage({
    method: Method.CreatePermission,
    cls: MessageClass.Request,
    transactionId: TID,
    attributes: [
      { type: Attr.Data, value: Buffer.from('abcde') },
      { type: Attr.DontFragment, value: Buffer.alloc(0) },
      { type: 0xc001, value: Buffer.from('xyz') },
    ],
  })
  t.equal(raw.length, 20 + 12 + 4 + 8)
  t.ok(isStunMessage(raw))
  const msg = decodeMessage(raw)
  t.equal(msg.method, Method.CreatePermission)
  t.equal(msg.cls, MessageClass.Request)
  t.same(msg.transactionId, TID)
  t.same(msg.attributes.map((a) => [a.type, a.value.toString(), a.offset]), [[Attr.Data, 'abcde', 20], [Attr.DontFragment, '', 32], [0xc001, 'xyz', 36]])
  t.equal(raw.subarray(29, 32).toString('hex'), '000000', 'padding is zero-filled')
  t.equal(msg.raw, raw, 'raw is the input buffer itself')
  t.equal(msg.transactionId.buffer, raw.buffer, 'the transaction id is a view, not a copy')
})

t.test('getAttribute returns the first of duplicate attributes', async (t) => {
  const msg = decodeMessage(encodeMessage({ method: 1, cls: 0, transactionId: TID, attributes: [{ type: Attr.Nonce, value: Buffer.from('a') }, { type: Attr.Nonce, value: Buffer.from('b') }] }))
  t.equal(getAttribute(msg, Attr.Nonce)!.value.toString(), 'a')
  t.equal(getAttribute(msg, Attr.Realm), undefined)
})

t.test('attributes after MESSAGE-INTEGRITY are ignored except integrity-SHA256 and FINGERPRINT', async (t) => {
  const raw = encodeMessage({ method: 1, cls: 0, transactionId: TID, attributes: [{ type: Attr.Username, value: Buffer.from('u') }] }, { integrityKey: Buffer.from('k') })
  // Append an unauthenticated LIFETIME after the integrity attribute, then FINGERPRINT.
  const extra = Buffer.from('000d000400000e10', 'hex')
  const spliced = Buffer.concat([raw, extra, Buffer.from('8028000400000000', 'hex')])
  spliced.writeUInt16BE(spliced.length - 20, 2)
  const msg = decodeMessage(spliced)
  t.same(msg.attributes.map((a) => a.type), [Attr.Username, Attr.MessageIntegrity, Attr.Fingerprint])
  t.equal(getAttribute(msg, Attr.Lifetime), undefined)
})

t.test('attributes after FINGERPRINT are ignored', async (t) => {
  const raw = encodeMessage({ method: 1, cls: 0, transactionId: TID, attributes: [] }, { fingerprint: true })
  const spliced = Buffer.concat([raw, Buffer.from('000d000400000e10', 'hex')])
  spliced.writeUInt16BE(spliced.length - 20, 2)
  t.same(decodeMessage(spliced).attributes.map((a) => a.type), [Attr.Fingerprint])
})

const decodeFails = (t: Test, buf: Buffer, code: string, why: string) =>
  t.throws(() => decodeMessage(buf), { name: 'StunDecodeError', code }, why)

t.test('malformed messages throw StunDecodeError with a stable code', async (t) => {
  const good = encodeMessage({ method: 1, cls: 0, transactionId: TID, attributes: [{ type: Attr.Software, value: Buffer.from('hello') }] })
  decodeFails(t, good.subarray(0, 19), 'ERR_STUN_TOO_SHORT', 'fewer than 20 bytes')
  const notStun = Buffer.from(good)
  notStun[0] = 0x80
  decodeFails(t, notStun, 'ERR_STUN_NOT_STUN', 'top bits set')
  const badCookie = Buffer.from(good)
  badCookie[4] = 0
  decodeFails(t, badCookie, 'ERR_STUN_BAD_COOKIE', 'no magic cookie')
  const oddLength = Buffer.from(good)
  oddLength.writeUInt16BE(good.length - 20 - 2, 2)
  decodeFails(t, oddLength, 'ERR_STUN_BAD_LENGTH', 'length not a multiple of 4')
  decodeFails(t, good.subarray(0, good.length - 4), 'ERR_STUN_LENGTH_MISMATCH', 'datagram shorter than the header says')
  decodeFails(t, Buffer.concat([good, Buffer.alloc(4)]), 'ERR_STUN_LENGTH_MISMATCH', 'trailing bytes')
  const overrun = Buffer.from(good)
  overrun.writeUInt16BE(200, 22)
  decodeFails(t, overrun, 'ERR_STUN_ATTR_TRUNCATED', 'attribute longer than the message')
  const unpaddedLast = Buffer.from(good)
  unpaddedLast.writeUInt16BE(8, 22) // 8 bytes fit, but a following 4-byte header would not
  const shortened = Buffer.concat([unpaddedLast.subarray(0, 32), Buffer.from('0001', 'hex')])
  shortened.writeUInt16BE(14, 2)
  decodeFails(t, shortened, 'ERR_STUN_BAD_LENGTH', 'a dangling half attribute header')
  t.ok(new StunDecodeError('ERR_STUN_TOO_SHORT', 'x') instanceof Error)
})

t.test('an attribute header split by the end of the message is truncated', async (t) => {
  const raw = encodeMessage({ method: 1, cls: 0, transactionId: TID, attributes: [{ type: Attr.Software, value: Buffer.from('abc') }] })
  raw.writeUInt16BE(7, 22) // SOFTWARE now claims 7 bytes: 4+8 = 12 > 8 remaining
  decodeFails(t, raw, 'ERR_STUN_ATTR_TRUNCATED', 'value plus padding runs past the end')
})

t.test('isStunMessage rejects ChannelData, RTP-ish bytes and short buffers without throwing', async (t) => {
  t.notOk(isStunMessage(Buffer.from('40000004deadbeef', 'hex')))
  t.notOk(isStunMessage(Buffer.from('80' + '00'.repeat(30), 'hex')))
  t.notOk(isStunMessage(Buffer.alloc(3)))
  t.notOk(isStunMessage(Buffer.alloc(20)), 'zeros lack the cookie')
})

t.test('the encoder refuses bad transaction ids and oversize attributes', async (t) => {
  t.throws(() => encodeMessage({ method: 1, cls: 0, transactionId: Buffer.alloc(11), attributes: [] }), RangeError)
  t.throws(() => encodeMessage({ method: 1, cls: 0, transactionId: TID, attributes: [{ type: Attr.Data, value: Buffer.alloc(70000) }] }), RangeError)
  t.throws(() => encodeMessage({ method: 1, cls: 0, transactionId: TID, attributes: [{ type: Attr.Data, value: Buffer.alloc(40000) }, { type: Attr.Data, value: Buffer.alloc(40000) }] }), RangeError)
})

t.test('padding is zero even when the buffer pool holds old bytes', async (t) => {
  for (let round = 0; round < 20; round++) {
    // Dirty the whole pool the next small Buffer comes from.
    new Uint8Array(Buffer.allocUnsafe(1).buffer).fill(0xff)
    const raw = encodeMessage({
      method: Method.Refresh,
      cls: MessageClass.SuccessResponse,
      transactionId: TID,
      attributes: [{ type: Attr.Data, value: Buffer.from('a') }, { type: 0xc001, value: Buffer.from('xyzzy') }],
    }, { integrityKey: Buffer.alloc(16, 1), fingerprint: true })
    t.equal(raw.subarray(25, 28).toString('hex'), '000000', 'after a 1-byte value')
    t.equal(raw.subarray(37, 40).toString('hex'), '000000', 'after a 5-byte value')
  }
})
