/**
 * Sans-IO deframer for STUN over TCP (RFC 8489 §6.2.2, RFC 8656 §12.5): a byte stream
 * carries STUN messages (length from the header) and ChannelData frames (padded to a
 * multiple of 4 on streams), back to back. `push(chunk)` returns the complete frames it
 * now holds — a STUN message exactly as `decodeMessage` wants it, or a ChannelData frame
 * without its padding as `decodeChannelData` wants it.
 *
 * Frames are views of the pushed chunks (or of one concatenation when a frame straddles
 * chunks). Small chunks are queued, not concatenated, until enough bytes for the next
 * frame have arrived, so a frame trickling in byte by byte costs one copy, not n².
 *
 * Anything that is neither frame kind throws ERR_FRAME_GARBAGE; more than `maxBuffered`
 * pending bytes throws ERR_FRAME_TOO_LARGE. Either way the connection must be closed:
 * a stream cannot be resynchronised, and the framer keeps refusing afterwards.
 */
import { StunDecodeError } from '../errors.js'
import { HEADER_LENGTH, MAGIC_COOKIE } from './constants.js'

export interface StreamFramerOptions {
  /** Upper bound on bytes held for an incomplete frame. Default: the largest STUN message (65 555 bytes). */
  maxBuffered?: number
  /**
   * Treat a connection that does not open with a STUN message as garbage. A TURN client
   * must Allocate before it can send ChannelData, so the first frame of a genuine TURN/TCP
   * connection is STUN; without this, text protocols whose first byte is 0x40–0x7F
   * ('G' of "GET", 'H' of "HEAD", 'C' of "CONNECT") read as a ChannelData header
   * announcing up to 64 KiB and are only refused when maxBuffered or an idle timeout hits.
   */
  requireStunFirst?: boolean
}

const NO_FRAMES: Buffer[] = []
const LARGEST_FRAME = HEADER_LENGTH + 0xffff

export class StreamFramer {
  readonly #maxBuffered: number
  #chunks: Buffer[] = []
  #size = 0
  /** Bytes that must be buffered before parsing can make progress. */
  #need = 1
  #failure: StunDecodeError | undefined
  #seenFrame: boolean

  constructor(opts: StreamFramerOptions = {}) {
    this.#maxBuffered = opts.maxBuffered ?? LARGEST_FRAME
    this.#seenFrame = !(opts.requireStunFirst ?? false)
  }

  /** Bytes held for an incomplete frame. */
  get buffered(): number {
    return this.#size
  }

  push(chunk: Buffer): Buffer[] {
    if (this.#failure) throw this.#failure
    if (chunk.length === 0) return NO_FRAMES
    this.#chunks.push(chunk)
    this.#size += chunk.length
    if (this.#size < this.#need) {
      if (this.#size > this.#maxBuffered) this.#fail('ERR_FRAME_TOO_LARGE', `${this.#size} bytes buffered`)
      return NO_FRAMES
    }
    const buf = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks, this.#size)
    let frames: Buffer[] = NO_FRAMES
    let off = 0
    let need = 1
    for (;;) {
      const rem = buf.length - off
      if (rem === 0) break
      const b0 = buf[off]!
      let frameLength: number
      let consumed: number
      // 0b01 in the first two bits: ChannelData, channels 0x4000–0x7FFF (constants.ts).
      if (b0 >= 0x40 && b0 <= 0x7f) {
        if (!this.#seenFrame) this.#fail('ERR_FRAME_GARBAGE', 'the connection opened with ChannelData, not STUN')
        // ChannelData: RFC 8656 §12.5 pads to 4 on streams; wait for the padding so the next frame is aligned.
        if (rem < 4) {
          need = 4
          break
        }
        frameLength = 4 + buf.readUInt16BE(off + 2)
        consumed = (frameLength + 3) & ~3
      } else if (b0 < 0x40) {
        if (rem >= 4 && (buf.readUInt16BE(off + 2) & 3) !== 0) this.#fail('ERR_FRAME_GARBAGE', 'STUN length not a multiple of 4')
        if (rem >= 8 && buf.readUInt32BE(off + 4) !== MAGIC_COOKIE) this.#fail('ERR_FRAME_GARBAGE', 'no STUN magic cookie')
        if (rem < HEADER_LENGTH) {
          need = HEADER_LENGTH
          break
        }
        frameLength = HEADER_LENGTH + buf.readUInt16BE(off + 2)
        consumed = frameLength
      } else {
        this.#fail('ERR_FRAME_GARBAGE', `byte 0x${b0.toString(16)} starts neither STUN nor ChannelData`)
      }
      if (consumed > this.#maxBuffered) this.#fail('ERR_FRAME_TOO_LARGE', `frame of ${consumed} bytes`)
      if (rem < consumed) {
        need = consumed
        break
      }
      if (frames === NO_FRAMES) frames = []
      frames.push(buf.subarray(off, off + frameLength))
      this.#seenFrame = true
      off += consumed
    }
    const leftover = buf.length - off
    if (leftover === 0) {
      this.#chunks = []
    } else {
      this.#chunks = [buf.subarray(off)]
      if (leftover > this.#maxBuffered) this.#fail('ERR_FRAME_TOO_LARGE', `${leftover} bytes buffered`)
    }
    this.#size = leftover
    this.#need = need
    return frames
  }

  #fail(code: 'ERR_FRAME_GARBAGE' | 'ERR_FRAME_TOO_LARGE', message: string): never {
    this.#chunks = []
    this.#size = 0
    this.#failure = new StunDecodeError(code, message)
    throw this.#failure
  }
}
