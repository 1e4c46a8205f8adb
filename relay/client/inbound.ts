/**
 * Sans-IO: what a frame the client received is (RFC 8656 §12 demultiplexing by the first
 * byte): ChannelData, a Data indication, a response to match by transaction id, or stray.
 * ChannelData is not decoded into an object: the per-packet path reads the channel and
 * hands on the frame (payload at offset CHANNEL_DATA_HEADER_LENGTH).
 */
import {
  Attr,
  MessageClass,
  Method,
  decodeMessage,
  decodeXorAddress,
  getAttribute,
  isChannelData,
  isStunMessage,
  type StunMessage,
  type TransportAddress,
} from '../proto/index.js'

export type Inbound =
  | { readonly kind: 'channel-data'; readonly channel: number; readonly frame: Buffer }
  | { readonly kind: 'data-indication'; readonly peer: TransportAddress; readonly data: Buffer }
  | { readonly kind: 'response'; readonly message: StunMessage }
  | { readonly kind: 'stray' }

export function classifyInbound(frame: Buffer): Inbound {
  if (isChannelData(frame)) return { kind: 'channel-data', channel: frame.readUInt16BE(0), frame }
  if (!isStunMessage(frame)) return { kind: 'stray' }
  let m: StunMessage
  try {
    m = decodeMessage(frame)
  } catch {
    return { kind: 'stray' }
  }
  if (m.cls === MessageClass.Indication) {
    if (m.method !== Method.Data) return { kind: 'stray' }
    const peer = getAttribute(m, Attr.XorPeerAddress)
    const data = getAttribute(m, Attr.Data)
    if (!peer || !data) return { kind: 'stray' }
    return { kind: 'data-indication', peer: decodeXorAddress(peer.value, m.transactionId), data: data.value }
  }
  if (m.cls === MessageClass.Request) return { kind: 'stray' }
  return { kind: 'response', message: m }
}
