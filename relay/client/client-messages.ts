/**
 * Sans-IO: the messages a TURN client sends (RFC 8656 on RFC 8489), as bytes, built on the
 * relay's own codec. No sockets, no timers; the transaction id is the caller's.
 */
import { randomBytes } from 'node:crypto'

import {
  Attr,
  MessageClass,
  Method,
  encodeChannelData,
  encodeMessage,
  encodeNonce,
  encodeRealm,
  encodeUsername,
  decodeXorAddress,
  encodeXorAddress,
  type AttributeInput,
  type TransportAddress,
} from '../proto/index.js'

/** What RFC 8489 §9.2.4 puts on an authenticated request: the learned REALM and NONCE and the key. */
export interface RequestCredentials {
  username: string
  realm: string
  nonce: string
  key: Buffer
}

/**
 * A request with FINGERPRINT; with credentials, USERNAME/REALM/NONCE and MESSAGE-INTEGRITY
 * too (RFC 8489 §9.2.4).
 */
export function encodeRequest(method: number, attributes: readonly AttributeInput[], transactionId: Buffer, cred?: RequestCredentials): Buffer {
  const all = cred
    ? [
        ...attributes,
        { type: Attr.Username, value: encodeUsername(cred.username) },
        { type: Attr.Realm, value: encodeRealm(cred.realm) },
        { type: Attr.Nonce, value: encodeNonce(cred.nonce) },
      ]
    : [...attributes]
  return encodeMessage(
    { method, cls: MessageClass.Request, transactionId, attributes: all },
    cred ? { integrityKey: cred.key, fingerprint: true } : { fingerprint: true },
  )
}

/** RFC 8656 §10.1: a Send indication to `peer` (no response, no authentication). */
export function encodeSendIndication(peer: TransportAddress, data: Buffer, transactionId: Buffer = randomBytes(12)): Buffer {
  return encodeMessage({
    method: Method.Send,
    cls: MessageClass.Indication,
    transactionId,
    attributes: [
      { type: Attr.XorPeerAddress, value: encodeXorAddress(peer, transactionId) },
      { type: Attr.Data, value: data },
    ],
  })
}

/**
 * A ChannelData frame of `size` payload bytes on `channel`, for `sendFrame`. The payload
 * starts at offset CHANNEL_DATA_HEADER_LENGTH; callers stamp sequence numbers and
 * timestamps into it in place.
 */
export function channelFrame(channel: number, size: number): Buffer {
  return encodeChannelData(channel, Buffer.alloc(size), { pad: false })
}

/** XOR-PEER-ADDRESS values depend on the transaction id (IPv6): re-encode for a new one. */
export function reXor(attrs: readonly AttributeInput[], from: Buffer, to: Buffer): AttributeInput[] {
  return attrs.map((a) =>
    a.type === Attr.XorPeerAddress ? { type: a.type, value: encodeXorAddress(decodeXorAddress(a.value, from), to) } : a,
  )
}
