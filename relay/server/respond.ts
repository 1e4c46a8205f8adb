/**
 * Building responses. Every response carries SOFTWARE (RFC 8489 §14.14, SHOULD) and
 * FINGERPRINT (§14.7, which TURN servers include so multiplexed clients can tell STUN
 * from media). Authenticated responses carry MESSAGE-INTEGRITY with the allocation's
 * long-term key (§9.2.4); 401/438 carry REALM and a fresh NONCE and no integrity.
 */
import { MessageClass, type StunErrorCode } from '../proto/constants.js'
import { encodeMessage, type AttributeInput, type StunMessage } from '../proto/message.js'
import { errorCodeAttr, nonceAttr, realmAttr, softwareAttr } from './wire.js'

export interface Responder {
  readonly realm: string
  readonly software: string | undefined
  issueNonce(clientAddress: string): string
}

export function successResponse(r: Responder, msg: StunMessage, attributes: AttributeInput[], key?: Buffer): Buffer {
  if (r.software) attributes.push(softwareAttr(r.software))
  return encodeMessage(
    { method: msg.method, cls: MessageClass.SuccessResponse, transactionId: msg.transactionId, attributes },
    key ? { integrityKey: key, fingerprint: true } : { fingerprint: true },
  )
}

export interface ErrorOptions {
  /** Signs the response; given once the request has been authenticated. */
  key?: Buffer
  /** Adds REALM and a fresh NONCE for this client address (401, 438). */
  challenge?: string
  extra?: AttributeInput[]
}

export function errorResponse(r: Responder, msg: StunMessage, code: StunErrorCode, opts: ErrorOptions = {}): Buffer {
  const attributes: AttributeInput[] = [errorCodeAttr(code)]
  if (opts.challenge !== undefined) attributes.push(realmAttr(r.realm), nonceAttr(r.issueNonce(opts.challenge)))
  if (opts.extra) attributes.push(...opts.extra)
  if (r.software) attributes.push(softwareAttr(r.software))
  return encodeMessage(
    { method: msg.method, cls: MessageClass.ErrorResponse, transactionId: msg.transactionId, attributes },
    opts.key ? { integrityKey: opts.key, fingerprint: true } : { fingerprint: true },
  )
}
