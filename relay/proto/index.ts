/**
 * The public API of the STUN/TURN codec (sans-IO: bytes in, values out; no sockets,
 * timers or clocks). RFC 8489 (STUN) and RFC 8656 (TURN).
 *
 * Per packet (UDP datagram or StreamFramer frame), demultiplex by the first byte:
 *   isChannelData(buf) → decodeChannelDataInto(buf, reused)   two reads and a view
 *   isStunMessage(buf) → decodeMessage(buf)                    views, no copies
 * then read attributes with getAttribute(msg, Attr.X) and the decoder of that attribute's
 * file. Every decoder throws only StunDecodeError, whose `code` says why (ERR_STUN_*,
 * ERR_CHANNEL_DATA_*, ERR_FRAME_*); ERR_STUN_ADDRESS_FAMILY is the one that maps to 440,
 * the rest to 400 or a silent drop.
 * Responses: encodeMessage({ method, cls, transactionId, attributes }, { integrityKey, fingerprint }).
 */
export { StunDecodeError } from '../errors.js'
export type { DecodeErrorCode } from '../errors.js'
export * from './constants.js'
export {
  type AttributeInput,
  type EncodeOptions,
  type MessageInput,
  type StunAttribute,
  type StunMessage,
  classOf,
  decodeMessage,
  encodeMessage,
  getAttribute,
  isStunMessage,
  messageType,
  methodOf,
} from './message.js'
export type { AddressFamily, TransportAddress } from './ip-bytes.js'
export { FAMILY_IPV4, FAMILY_IPV6, decodeAddress, encodeAddress } from './address.js'
export { decodeXorAddress, encodeXorAddress } from './xor-address.js'
export { type ErrorCodeValue, decodeErrorCode, encodeErrorCode } from './error-code.js'
export { decodeLifetime, encodeLifetime } from './lifetime.js'
export { decodeRequestedTransport, encodeRequestedTransport } from './requested-transport.js'
export { decodeChannelNumber, encodeChannelNumber, isValidChannelNumber } from './channel-number.js'
export {
  decodeAdditionalAddressFamily,
  decodeRequestedAddressFamily,
  encodeAdditionalAddressFamily,
  encodeRequestedAddressFamily,
} from './requested-address-family.js'
export { decodeEvenPort, decodeReservationToken, encodeEvenPort, encodeReservationToken } from './even-port.js'
export {
  TEXT_MAX_BYTES,
  TEXT_MAX_CHARS,
  USERNAME_MAX_BYTES,
  decodeNonce,
  decodeRealm,
  decodeSoftware,
  decodeUsername,
  encodeNonce,
  encodeRealm,
  encodeSoftware,
  encodeUsername,
} from './text-attributes.js'
export { decodeUnknownAttributes, encodeUnknownAttributes, unknownComprehensionRequired } from './unknown-attributes.js'
export {
  hasMessageIntegrity,
  longTermKey,
  longTermKeySha256,
  shortTermKey,
  verifyMessageIntegrity,
  verifyMessageIntegritySha256,
} from './message-integrity.js'
export { crc32, fingerprintOf, hasFingerprint, verifyFingerprint } from './fingerprint.js'
export {
  CHANNEL_DATA_HEADER_LENGTH,
  type ChannelData,
  decodeChannelData,
  decodeChannelDataInto,
  encodeChannelData,
  encodeChannelDataHeader,
  isChannelData,
} from './channel-data.js'
export { StreamFramer, type StreamFramerOptions } from './stream-framer.js'
export { type IcmpValue, decodeIcmp, encodeIcmp } from './icmp.js'
export {
  PasswordAlgorithm,
  type PasswordAlgorithmValue,
  decodePasswordAlgorithm,
  decodePasswordAlgorithms,
  encodePasswordAlgorithm,
  encodePasswordAlgorithms,
} from './password-algorithm.js'
export { decodeUserhash, userhash } from './userhash.js'
export { type AddressErrorCodeValue, decodeAddressErrorCode, encodeAddressErrorCode } from './address-error-code.js'
