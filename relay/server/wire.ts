/**
 * The attribute values the server reads and writes, through the codec (relay/proto).
 * Readers turn the codec's coded StunDecodeError into `undefined` — which the handlers
 * answer with 400 (RFC 8489 §6.3.1: a malformed known attribute is a bad request);
 * any other exception is a bug and propagates.
 */
import { StunDecodeError } from '../errors.js'
import { Attr, type StunErrorCode } from '../proto/constants.js'
import { decodeChannelNumber } from '../proto/channel-number.js'
import { encodeErrorCode } from '../proto/error-code.js'
import { decodeEvenPort } from '../proto/even-port.js'
import { decodeLifetime, encodeLifetime } from '../proto/lifetime.js'
import type { AttributeInput } from '../proto/message.js'
import { decodeRequestedAddressFamily } from '../proto/requested-address-family.js'
import { decodeRequestedTransport } from '../proto/requested-transport.js'
import { encodeNonce, encodeRealm, encodeSoftware } from '../proto/text-attributes.js'
import { encodeUnknownAttributes } from '../proto/unknown-attributes.js'

function orUndefined<T>(decode: () => T): T | undefined {
  try {
    return decode()
  } catch (err) {
    if (err instanceof StunDecodeError) return undefined
    throw err
  }
}

export const errorCodeAttr = (code: StunErrorCode): AttributeInput => ({ type: Attr.ErrorCode, value: encodeErrorCode(code) })
export const lifetimeAttr = (seconds: number): AttributeInput => ({ type: Attr.Lifetime, value: encodeLifetime(seconds) })
export const realmAttr = (realm: string): AttributeInput => ({ type: Attr.Realm, value: encodeRealm(realm) })
export const nonceAttr = (nonce: string): AttributeInput => ({ type: Attr.Nonce, value: encodeNonce(nonce) })
export const softwareAttr = (software: string): AttributeInput => ({ type: Attr.Software, value: encodeSoftware(software) })
export const unknownAttributesAttr = (types: readonly number[]): AttributeInput => ({ type: Attr.UnknownAttributes, value: encodeUnknownAttributes(types) })

export const readLifetime = (value: Buffer): number | undefined => orUndefined(() => decodeLifetime(value))
export const readRequestedTransport = (value: Buffer): number | undefined => orUndefined(() => decodeRequestedTransport(value))
export const readChannelNumber = (value: Buffer): number | undefined => orUndefined(() => decodeChannelNumber(value))
export const readEvenPort = (value: Buffer): { reserveNext: boolean } | undefined => orUndefined(() => decodeEvenPort(value))

/** REQUESTED-ADDRESS-FAMILY: 4 or 6, 'unsupported' for an unknown family (→ 440), undefined when malformed (→ 400). */
export function readAddressFamily(value: Buffer): 4 | 6 | 'unsupported' | undefined {
  try {
    return decodeRequestedAddressFamily(value)
  } catch (err) {
    if (err instanceof StunDecodeError) return err.code === 'ERR_STUN_ADDRESS_FAMILY' ? 'unsupported' : undefined
    throw err
  }
}

/** Attribute types this server understands; a comprehension-required type outside it → 420. */
export const KNOWN_ATTRIBUTES: ReadonlySet<number> = new Set<number>(Object.values(Attr))
