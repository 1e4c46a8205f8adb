import t from 'tap'
import { encodeChannelData } from '../../../relay/proto/channel-data.js'
import { encodeMessage } from '../../../relay/proto/message.js'
import { StreamFramer } from '../../../relay/proto/stream-framer.js'

const stun = (n: number) =>
  encodeMessage({ method: 1, cls: 0, transactionId: Buffer.alloc(12, n), attributes: [{ type: 0x8022, value: Buffer.alloc(n, 0x61) }] }, { fingerprint: true })
const chan = (n: number) => encodeChannelData(0x4000 + n, Buffer.alloc(n, n), { pad: true })
const unpadded = (frame: Buffer) => frame.subarray(0, 4 + frame.readUInt16BE(2))

function feed(framer: StreamFramer, stream: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = []
  let at = 0
  let i = 0
  while (at < stream.length) {
    const size = sizes[i++ % sizes.length]!
    out.push(...framer.push(stream.subarray(at, at + size)))
    at += size
  }
  return out
}

const frames = [stun(5), chan(3), chan(4), stun(0), chan(1), stun(33), chan(0), chan(1000)]
const stream = Buffer.concat(frames)
const expected = frames.map((f) => (f[0]! >= 0x40 ? unpadded(f) : f).toString('hex'))

t.test('coalesced frames in one chunk come out one by one', async (t) => {
  t.same(new StreamFramer().push(stream).map((f) => f.toString('hex')), expected)
})

t.test('frames split at every possible chunk size come out whole and in order', async (t) => {
  for (const size of [1, 2, 3, 4, 5, 7, 19, 20, 21, 64, 333]) {
    const got = feed(new StreamFramer(), stream, [size])
    t.same(got.map((f) => f.toString('hex')), expected, `chunks of ${size}`)
  }
  t.same(feed(new StreamFramer(), stream, [1, 30, 2, 500, 3]).map((f) => f.toString('hex')), expected, 'irregular chunks')
})

t.test('ChannelData frames come out without their padding and the next frame stays aligned', async (t) => {
  const f = new StreamFramer()
  const out = f.push(Buffer.concat([chan(5), stun(2)]))
  t.equal(out[0]!.length, 9)
  t.equal(out[1]!.readUInt32BE(4), 0x2112a442)
  t.equal(f.buffered, 0)
})

t.test('a frame whose padding has not arrived is held back', async (t) => {
  const f = new StreamFramer()
  const frame = chan(5)
  t.same(f.push(frame.subarray(0, 9)), [], 'payload complete but padding missing')
  t.equal(f.push(frame.subarray(9)).length, 1)
})

t.test('a frame inside one chunk is a view of that chunk', async (t) => {
  const chunk = Buffer.concat([stun(4), chan(4)])
  const [a, b] = new StreamFramer().push(chunk)
  t.equal(a!.buffer, chunk.buffer)
  t.equal(b!.buffer, chunk.buffer)
})

t.test('garbage closes the stream with ERR_FRAME_GARBAGE and the framer stays failed', async (t) => {
  const f = new StreamFramer()
  // A TLS ClientHello sent to the plain TCP port: length 0x0100 passes, the cookie does not.
  t.throws(() => f.push(Buffer.from('1603010100010000fc0303', 'hex')), { code: 'ERR_FRAME_GARBAGE' })
  t.throws(() => f.push(stun(1)), { code: 'ERR_FRAME_GARBAGE' }, 'a failed framer keeps refusing')
  t.throws(() => new StreamFramer().push(Buffer.from('80000000', 'hex')), { code: 'ERR_FRAME_GARBAGE' }, 'RTP-like first byte')
  const noCookie = Buffer.from(stun(0))
  noCookie[4] = 0
  t.throws(() => new StreamFramer().push(noCookie.subarray(0, 8)), { code: 'ERR_FRAME_GARBAGE' }, 'detected from the first 8 bytes')
  const odd = Buffer.from(stun(0))
  odd.writeUInt16BE(3, 2)
  t.throws(() => new StreamFramer().push(odd.subarray(0, 4)), { code: 'ERR_FRAME_GARBAGE' }, 'a STUN length not a multiple of 4')
  t.throws(() => new StreamFramer().push(Buffer.concat([chan(2), Buffer.from('ff', 'hex')])), { code: 'ERR_FRAME_GARBAGE' }, 'garbage after a good frame in the same chunk fails the push')
})

t.test('ChannelData on channels 0x5000 through 0x7FFF (the RFC 5766 range) is framed, not garbage', async (t) => {
  const frames = [encodeChannelData(0x5000, Buffer.from('abc'), { pad: true }), encodeChannelData(0x7fff, Buffer.from('de'), { pad: true })]
  t.same(new StreamFramer().push(Buffer.concat(frames)).map((f) => f.toString('hex')), frames.map((f) => unpadded(f).toString('hex')))
})

t.test('a frame larger than maxBuffered fails as soon as its header is read', async (t) => {
  const f = new StreamFramer({ maxBuffered: 100 })
  t.throws(() => f.push(chan(200).subarray(0, 4)), { code: 'ERR_FRAME_TOO_LARGE' })
  t.equal(new StreamFramer({ maxBuffered: 100 }).push(chan(90)).length, 1, 'frames within the bound pass')
})

t.test('an empty chunk is harmless', async (t) => {
  t.same(new StreamFramer().push(Buffer.alloc(0)), [])
})

t.test('with requireStunFirst a connection that opens like HTTP is refused at once', async (t) => {
  t.throws(() => new StreamFramer({ requireStunFirst: true }).push(Buffer.from('GET / HTTP/1.1\r\n')), { code: 'ERR_FRAME_GARBAGE' })
  t.same(new StreamFramer().push(Buffer.from('GET / HTTP/1.1\r\n')), [], 'without it the bytes wait as a ChannelData header')
  const f = new StreamFramer({ requireStunFirst: true })
  t.equal(f.push(Buffer.concat([stun(1), chan(2)])).length, 2, 'ChannelData after a STUN message passes')
})
