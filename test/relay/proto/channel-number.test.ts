import t from 'tap'
import { decodeChannelNumber, encodeChannelNumber, isValidChannelNumber } from '../../../relay/proto/channel-number.js'

t.test('channel numbers are 16 bits followed by 16 reserved bits', async (t) => {
  t.equal(encodeChannelNumber(0x4001).toString('hex'), '40010000')
  t.equal(decodeChannelNumber(Buffer.from('4fffabcd', 'hex')), 0x4fff)
  t.throws(() => decodeChannelNumber(Buffer.from('4001', 'hex')), { code: 'ERR_STUN_BAD_ATTRIBUTE' })
})

t.test('0x4000 through 0x7FFF may be bound (RFC 5766, as coturn and libwebrtc bind), 0x8000 and up may not', async (t) => {
  t.ok(isValidChannelNumber(0x4000))
  t.ok(isValidChannelNumber(0x4fff))
  t.ok(isValidChannelNumber(0x5000))
  t.ok(isValidChannelNumber(0x7fff))
  t.notOk(isValidChannelNumber(0x3fff))
  t.notOk(isValidChannelNumber(0x8000))
  t.notOk(isValidChannelNumber(0xffff))
})
