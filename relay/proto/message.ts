/**
 * The STUN message: header, attribute TLVs, and the encoder that appends
 * MESSAGE-INTEGRITY and FINGERPRINT (RFC 8489 §5, §14, §14.5, §14.7).
 *
 * Decoding does not copy: `raw`, `transactionId` and every attribute `value` are views
 * (subarrays) of the input buffer, which the caller must not reuse while the message is live.
 */
import { StunDecodeError } from '../errors.js'
import {
  Attr,
  HEADER_LENGTH,
  MAGIC_COOKIE,
  type MessageClass,
  TRANSACTION_ID_LENGTH,
} from './constants.js'
import { fingerprintOf } from './crc32.js'
import { integrityHmacSha1, integrityHmacSha256 } from './integrity-hmac.js'

export interface StunAttribute {
  type: number
  value: Buffer
  /** Offset of the attribute header (type) in `raw`. */
  offset: number
}

export interface StunMessage {
  method: number
  cls: MessageClass
  transactionId: Buffer
  attributes: StunAttribute[]
  raw: Buffer
}

export interface AttributeInput {
  type: number
  value: Buffer
}

export interface MessageInput {
  method: number
  cls: MessageClass
  transactionId: Buffer
  attributes: readonly AttributeInput[]
}

export interface EncodeOptions {
  /** Appends MESSAGE-INTEGRITY (HMAC-SHA1) keyed with this (RFC 8489 §14.5). */
  integrityKey?: Buffer
  /** Appends MESSAGE-INTEGRITY-SHA256 keyed with this (RFC 8489 §14.6). */
  integritySha256Key?: Buffer
  /** Appends FINGERPRINT (RFC 8489 §14.7). */
  fingerprint?: boolean
}

const pad4 = (n: number): number => (n + 3) & ~3

/** RFC 8489 §5: method bits M0–M11 are interleaved with the class bits C0 (bit 4) and C1 (bit 8). */
export function messageType(method: number, cls: MessageClass): number {
  return (
    (method & 0x000f) |
    ((method & 0x0070) << 1) |
    ((method & 0x0f80) << 2) |
    ((cls & 0b01) << 4) |
    ((cls & 0b10) << 7)
  )
}

export function methodOf(type: number): number {
  return (type & 0x000f) | ((type & 0x00e0) >> 1) | ((type & 0x3e00) >> 2)
}

export function classOf(type: number): MessageClass {
  return (((type >> 4) & 0b01) | ((type >> 7) & 0b10)) as MessageClass
}

/**
 * A cheap test (no allocation) that a datagram is shaped like a STUN message: top two
 * bits zero, magic cookie, length a multiple of 4 matching the datagram (RFC 7983 demux
 * plus RFC 8489 §5 sanity checks).
 */
export function isStunMessage(buf: Buffer): boolean {
  return (
    buf.length >= HEADER_LENGTH &&
    (buf[0]! & 0xc0) === 0 &&
    buf.readUInt32BE(4) === MAGIC_COOKIE &&
    (buf.readUInt16BE(2) & 3) === 0 &&
    buf.readUInt16BE(2) + HEADER_LENGTH === buf.length
  )
}

/**
 * Decodes one whole STUN message (a UDP datagram, or a frame from StreamFramer).
 * Throws only StunDecodeError.
 *
 * RFC 8489 §14.5/§14.6/§14.7: attributes after MESSAGE-INTEGRITY other than
 * MESSAGE-INTEGRITY-SHA256 and FINGERPRINT, and any attribute after FINGERPRINT, are
 * ignored — they are still checked for well-formed framing but are not returned, so no
 * unauthenticated attribute can be read by accident.
 */
export function decodeMessage(buf: Buffer): StunMessage {
  if (buf.length < HEADER_LENGTH) {
    throw new StunDecodeError('ERR_STUN_TOO_SHORT', `STUN message shorter than ${HEADER_LENGTH} bytes: ${buf.length}`)
  }
  const type = buf.readUInt16BE(0)
  if ((type & 0xc000) !== 0) throw new StunDecodeError('ERR_STUN_NOT_STUN', 'the first two bits of a STUN message must be zero')
  const length = buf.readUInt16BE(2)
  if (buf.readUInt32BE(4) !== MAGIC_COOKIE) throw new StunDecodeError('ERR_STUN_BAD_COOKIE', 'magic cookie mismatch')
  if ((length & 3) !== 0) throw new StunDecodeError('ERR_STUN_BAD_LENGTH', `message length ${length} is not a multiple of 4`)
  if (length + HEADER_LENGTH !== buf.length) {
    throw new StunDecodeError(
      'ERR_STUN_LENGTH_MISMATCH',
      `header says ${length + HEADER_LENGTH} bytes, ${buf.length} present`,
    )
  }
  const attributes: StunAttribute[] = []
  let sawIntegrity = false
  let sawFingerprint = false
  let offset = HEADER_LENGTH
  while (offset < buf.length) {
    if (offset + 4 > buf.length) throw new StunDecodeError('ERR_STUN_ATTR_TRUNCATED', 'attribute header truncated')
    const attrType = buf.readUInt16BE(offset)
    const attrLength = buf.readUInt16BE(offset + 2)
    const end = offset + 4 + attrLength
    // RFC 8489 §14: padding is part of the message length; the last attribute must be padded too.
    if (offset + 4 + pad4(attrLength) > buf.length) {
      throw new StunDecodeError('ERR_STUN_ATTR_TRUNCATED', `attribute 0x${attrType.toString(16)} runs past the message`)
    }
    const keep =
      !sawFingerprint &&
      (!sawIntegrity || attrType === Attr.MessageIntegritySha256 || attrType === Attr.Fingerprint)
    if (keep) attributes.push({ type: attrType, value: buf.subarray(offset + 4, end), offset })
    if (attrType === Attr.MessageIntegrity || attrType === Attr.MessageIntegritySha256) sawIntegrity = true
    else if (attrType === Attr.Fingerprint) sawFingerprint = true
    offset += 4 + pad4(attrLength)
  }
  return {
    method: methodOf(type),
    cls: classOf(type),
    transactionId: buf.subarray(8, 8 + TRANSACTION_ID_LENGTH),
    attributes,
    raw: buf,
  }
}

/** The first attribute of a type (RFC 8489 §14: later duplicates are ignored). */
export function getAttribute(msg: StunMessage, type: number): StunAttribute | undefined {
  for (const a of msg.attributes) if (a.type === type) return a
  return undefined
}

/**
 * Encodes a message in one allocation. When asked, appends MESSAGE-INTEGRITY,
 * MESSAGE-INTEGRITY-SHA256 and FINGERPRINT in that order, each computed with the
 * header length covering the message up to and including itself (RFC 8489 §14.5–§14.7).
 */
export function encodeMessage(m: MessageInput, opts: EncodeOptions = {}): Buffer {
  if (m.transactionId.length !== TRANSACTION_ID_LENGTH) {
    throw new RangeError(`transaction id must be ${TRANSACTION_ID_LENGTH} bytes, got ${m.transactionId.length}`)
  }
  let size = HEADER_LENGTH
  for (const a of m.attributes) {
    if (a.value.length > 0xffff) throw new RangeError(`attribute 0x${a.type.toString(16)} too long: ${a.value.length}`)
    size += 4 + pad4(a.value.length)
  }
  if (opts.integrityKey) size += 24
  if (opts.integritySha256Key) size += 36
  if (opts.fingerprint) size += 8
  if (size - HEADER_LENGTH > 0xffff) throw new RangeError(`message too long: ${size} bytes`)

  // From Node's buffer pool (an unpooled ArrayBuffer per response cost more than the
  // encoding): every byte is written below, padding explicitly zeroed (RFC 8489 §14).
  const out = Buffer.allocUnsafe(size)
  out.writeUInt16BE(messageType(m.method, m.cls), 0)
  out.writeUInt32BE(MAGIC_COOKIE, 4)
  m.transactionId.copy(out, 8)
  let offset = HEADER_LENGTH
  for (const a of m.attributes) {
    out.writeUInt16BE(a.type, offset)
    out.writeUInt16BE(a.value.length, offset + 2)
    a.value.copy(out, offset + 4)
    const end = offset + 4 + a.value.length
    offset += 4 + pad4(a.value.length)
    if (end < offset) out.fill(0, end, offset)
  }
  if (opts.integrityKey) {
    out.writeUInt16BE(offset + 24 - HEADER_LENGTH, 2)
    out.writeUInt16BE(Attr.MessageIntegrity, offset)
    out.writeUInt16BE(20, offset + 2)
    integrityHmacSha1(opts.integrityKey, out.subarray(0, offset)).copy(out, offset + 4)
    offset += 24
  }
  if (opts.integritySha256Key) {
    out.writeUInt16BE(offset + 36 - HEADER_LENGTH, 2)
    out.writeUInt16BE(Attr.MessageIntegritySha256, offset)
    out.writeUInt16BE(32, offset + 2)
    integrityHmacSha256(opts.integritySha256Key, out.subarray(0, offset)).copy(out, offset + 4)
    offset += 36
  }
  if (opts.fingerprint) {
    out.writeUInt16BE(offset + 8 - HEADER_LENGTH, 2)
    out.writeUInt16BE(Attr.Fingerprint, offset)
    out.writeUInt16BE(4, offset + 2)
    out.writeUInt32BE(fingerprintOf(out.subarray(0, offset)), offset + 4)
    offset += 8
  }
  out.writeUInt16BE(offset - HEADER_LENGTH, 2)
  return out
}

