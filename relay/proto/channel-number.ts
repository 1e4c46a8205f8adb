/**
 * CHANNEL-NUMBER (RFC 8656 §18.1): a 16-bit channel number then 16 RFFU bits.
 * Whether the number is in the bindable range (0x4000–0x7FFF, see constants.ts) is for the server to
 * judge (it answers 400); the codec only reads it.
 */
import { StunDecodeError } from '../errors.js'
import { CHANNEL_NUMBER_MAX, CHANNEL_NUMBER_MIN } from './constants.js'

export function encodeChannelNumber(channel: number): Buffer {
  if (!Number.isInteger(channel) || channel < 0 || channel > 0xffff) throw new RangeError(`bad channel number: ${channel}`)
  const out = Buffer.alloc(4)
  out.writeUInt16BE(channel, 0)
  return out
}

export function decodeChannelNumber(value: Buffer): number {
  if (value.length !== 4) throw new StunDecodeError('ERR_STUN_BAD_ATTRIBUTE', `CHANNEL-NUMBER of ${value.length} bytes`)
  return value.readUInt16BE(0)
}

/** RFC 5766 §11 / RFC 8656 §12: the numbers a client may bind a channel to (0x4000–0x7FFF). */
export function isValidChannelNumber(channel: number): boolean {
  return channel >= CHANNEL_NUMBER_MIN && channel <= CHANNEL_NUMBER_MAX
}
