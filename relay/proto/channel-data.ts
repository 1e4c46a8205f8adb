/**
 * ChannelData (RFC 8656 §12.4): the fast path. A 4-byte header — channel number
 * (0x4000–0x7FFF, see CHANNEL_NUMBER_MAX) and payload length — then the payload. Over TCP the frame is padded
 * to a multiple of 4 (§12.5); over UDP padding is optional and ignored.
 *
 * Decoding is two reads and a subarray; `decodeChannelDataInto` reuses a caller-owned
 * object so the per-packet path allocates nothing but the view.
 */
import { StunDecodeError } from '../errors.js'
import { CHANNEL_NUMBER_MAX, CHANNEL_NUMBER_MIN } from './constants.js'

export const CHANNEL_DATA_HEADER_LENGTH = 4

export interface ChannelData {
  channel: number
  data: Buffer
}

/**
 * RFC 8656 §12: the first two bits 0b01 make ChannelData (channels 0x4000–0x7FFF, the
 * RFC 5766 range). RFC 7983's narrower 64–79 matters only where DTLS/RTP share the port,
 * which a TURN server's client port and a TURN client's server socket never do.
 */
export function isChannelData(buf: Buffer): boolean {
  if (buf.length < CHANNEL_DATA_HEADER_LENGTH) return false
  return (buf[0]! & 0xc0) === 0x40
}

/** Fills `out` with the channel and a view of the payload; returns `out`. */
export function decodeChannelDataInto(buf: Buffer, out: ChannelData): ChannelData {
  if (buf.length < CHANNEL_DATA_HEADER_LENGTH) {
    throw new StunDecodeError('ERR_CHANNEL_DATA_TOO_SHORT', `ChannelData shorter than 4 bytes: ${buf.length}`)
  }
  const channel = buf.readUInt16BE(0)
  if (channel < CHANNEL_NUMBER_MIN || channel > CHANNEL_NUMBER_MAX) {
    throw new StunDecodeError('ERR_CHANNEL_DATA_BAD_CHANNEL', `channel 0x${channel.toString(16)} outside 0x4000–0x7FFF`)
  }
  const length = buf.readUInt16BE(2)
  // §12.4: a frame longer than the datagram is discarded; trailing bytes (padding) are ignored.
  if (CHANNEL_DATA_HEADER_LENGTH + length > buf.length) {
    throw new StunDecodeError('ERR_CHANNEL_DATA_TRUNCATED', `ChannelData says ${length} bytes, ${buf.length - 4} present`)
  }
  out.channel = channel
  out.data = buf.subarray(CHANNEL_DATA_HEADER_LENGTH, CHANNEL_DATA_HEADER_LENGTH + length)
  return out
}

export function decodeChannelData(buf: Buffer): ChannelData {
  return decodeChannelDataInto(buf, { channel: 0, data: buf })
}

/** The 4-byte header alone, for scatter writes (`socket.send([header, payload])`). */
export function encodeChannelDataHeader(channel: number, length: number, out: Buffer = Buffer.allocUnsafe(4)): Buffer {
  if (length > 0xffff) throw new RangeError(`ChannelData payload too long: ${length}`)
  out.writeUInt16BE(channel, 0)
  out.writeUInt16BE(length, 2)
  return out
}

/** A whole frame in one buffer; `pad` rounds it up to a multiple of 4 with zero bytes (stream transports, §12.5). */
export function encodeChannelData(channel: number, data: Uint8Array, opts: { pad: boolean } = { pad: false }): Buffer {
  if (data.length > 0xffff) throw new RangeError(`ChannelData payload too long: ${data.length}`)
  const frameLength = CHANNEL_DATA_HEADER_LENGTH + data.length
  const total = opts.pad ? (frameLength + 3) & ~3 : frameLength
  const out = Buffer.allocUnsafe(total)
  out.writeUInt16BE(channel, 0)
  out.writeUInt16BE(data.length, 2)
  out.set(data, CHANNEL_DATA_HEADER_LENGTH)
  if (total > frameLength) out.fill(0, frameLength)
  return out
}
