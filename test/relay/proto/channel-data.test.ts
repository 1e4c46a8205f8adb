import t from 'tap'
import {
  decodeChannelData,
  decodeChannelDataInto,
  encodeChannelData,
  encodeChannelDataHeader,
  isChannelData,
} from '../../../relay/proto/channel-data.js'

t.test('a ChannelData frame is the channel, the length and the payload', async (t) => {
  const frame = encodeChannelData(0x4001, Buffer.from('hello'))
  t.equal(frame.toString('hex'), '40010005' + Buffer.from('hello').toString('hex'))
  t.ok(isChannelData(frame))
  const { channel, data } = decodeChannelData(frame)
  t.equal(channel, 0x4001)
  t.equal(data.toString(), 'hello')
})

t.test('decoding is a view of the frame, not a copy', async (t) => {
  const frame = encodeChannelData(0x4abc, Buffer.from('payload'))
  const { data } = decodeChannelData(frame)
  frame[4] = 0x50
  t.equal(data.toString(), 'Payload')
})

t.test('decodeChannelDataInto reuses the caller object', async (t) => {
  const out = { channel: 0, data: Buffer.alloc(0) }
  t.equal(decodeChannelDataInto(encodeChannelData(0x4002, Buffer.from('a')), out), out)
  t.equal(out.channel, 0x4002)
})

t.test('stream transports pad the frame to a multiple of four with zeros', async (t) => {
  for (const [len, total] of [[0, 4], [1, 8], [3, 8], [4, 8], [5, 12]] as const) {
    const frame = encodeChannelData(0x4000, Buffer.alloc(len, 0xaa), { pad: true })
    t.equal(frame.length, total, `${len} payload bytes → ${total}`)
    t.equal(frame.readUInt16BE(2), len, 'the length field excludes padding')
    t.ok(frame.subarray(4 + len).every((b) => b === 0), 'padding is zero')
    t.equal(decodeChannelData(frame).data.length, len, 'padding is not payload')
  }
  t.equal(encodeChannelData(0x4000, Buffer.alloc(5)).length, 9, 'datagram transports do not pad')
})

t.test('the header alone supports scatter writes', async (t) => {
  const h = encodeChannelDataHeader(0x4fff, 1200)
  t.equal(h.toString('hex'), '4fff04b0')
})

t.test('short, truncated and out-of-range frames are coded errors', async (t) => {
  t.throws(() => decodeChannelData(Buffer.from('4001', 'hex')), { code: 'ERR_CHANNEL_DATA_TOO_SHORT' })
  t.throws(() => decodeChannelData(Buffer.from('40010008aabb', 'hex')), { code: 'ERR_CHANNEL_DATA_TRUNCATED' })
  t.throws(() => decodeChannelData(Buffer.from('80000000', 'hex')), { code: 'ERR_CHANNEL_DATA_BAD_CHANNEL' })
  t.throws(() => decodeChannelData(Buffer.from('3fff0000', 'hex')), { code: 'ERR_CHANNEL_DATA_BAD_CHANNEL' })
  t.throws(() => encodeChannelData(0x4000, Buffer.alloc(0x10000)), RangeError)
})

t.test('channels 0x5000 through 0x7FFF (the RFC 5766 range) decode like the rest', async (t) => {
  t.equal(decodeChannelData(encodeChannelData(0x5000, Buffer.from('a'))).channel, 0x5000)
  t.equal(decodeChannelData(encodeChannelData(0x7fff, Buffer.from('b'))).data.toString(), 'b')
})

t.test('isChannelData tells ChannelData from STUN, DTLS and RTP by the first two bits (RFC 8656 §12)', async (t) => {
  t.ok(isChannelData(Buffer.from('4f000000', 'hex')))
  t.ok(isChannelData(Buffer.from('7fff0000', 'hex')), 'the RFC 5766 range up to 0x7FFF')
  t.notOk(isChannelData(Buffer.from('00010000', 'hex')), 'STUN')
  t.notOk(isChannelData(Buffer.from('16fefd00', 'hex')), 'DTLS')
  t.notOk(isChannelData(Buffer.from('80000000', 'hex')), 'RTP')
  t.notOk(isChannelData(Buffer.from('40', 'hex')), 'too short')
})
