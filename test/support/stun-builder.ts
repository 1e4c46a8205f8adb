/**
 * Building client-side STUN/TURN messages for tests, on the relay's own codec.
 */
import { randomBytes } from 'node:crypto'

import {
  Attr,
  MessageClass,
  decodeMessage,
  decodeErrorCode,
  encodeMessage,
  encodeNonce,
  encodeRealm,
  encodeUsername,
  encodeXorAddress,
  getAttribute,
  longTermKey,
  type AttributeInput,
  type StunMessage,
} from '../../relay/proto/index.js'

export interface Credentials {
  username: string
  password: string
  realm: string
  nonce: string
}

export function request(method: number, attributes: AttributeInput[] = [], cred?: Credentials, transactionId: Buffer = randomBytes(12)): Buffer {
  const attrs = [...attributes]
  if (cred) {
    attrs.push(
      { type: Attr.Username, value: encodeUsername(cred.username) },
      { type: Attr.Realm, value: encodeRealm(cred.realm) },
      { type: Attr.Nonce, value: encodeNonce(cred.nonce) },
    )
  }
  return encodeMessage(
    { method, cls: MessageClass.Request, transactionId, attributes: attrs },
    cred ? { integrityKey: longTermKey(cred.username, cred.realm, cred.password), fingerprint: true } : { fingerprint: true },
  )
}

export function indication(method: number, attributes: AttributeInput[], transactionId: Buffer = randomBytes(12)): Buffer {
  return encodeMessage({ method, cls: MessageClass.Indication, transactionId, attributes })
}

/** The error code of a response (0 for success). */
export function errorCodeOf(msg: StunMessage): number {
  if (msg.cls !== MessageClass.ErrorResponse) return 0
  const attr = getAttribute(msg, Attr.ErrorCode)
  return attr ? decodeErrorCode(attr.value).code : -1
}

export function textOf(msg: StunMessage, type: number): string | undefined {
  return getAttribute(msg, type)?.value.toString('utf8')
}

export { decodeMessage }

/** XOR-PEER-ADDRESS for a request with the given transaction id. */
export const peerAttr = (address: string, port: number, transactionId: Buffer): AttributeInput => ({
  type: Attr.XorPeerAddress,
  value: encodeXorAddress({ family: address.includes(':') ? 6 : 4, address, port }, transactionId),
})
