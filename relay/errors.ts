/**
 * Coded errors of the relay. Every error the relay raises carries a stable `code`; the
 * server maps codes to STUN error responses (or to "drop silently") at one boundary,
 * so nothing here knows about sockets or responses.
 */
import { CodedError } from '../geo/coded-error.js'

/** Codes raised while decoding bytes from the wire (RFC 8489 §5, §14; RFC 8656 §12). */
export const DECODE_ERROR_CODES = [
  // STUN message framing (RFC 8489 §5)
  'ERR_STUN_TOO_SHORT', // fewer than 20 header bytes
  'ERR_STUN_NOT_STUN', // the two most significant bits are not zero
  'ERR_STUN_BAD_COOKIE', // the magic cookie is not 0x2112A442
  'ERR_STUN_BAD_LENGTH', // message length not a multiple of 4
  'ERR_STUN_LENGTH_MISMATCH', // header length disagrees with the bytes present
  'ERR_STUN_ATTR_TRUNCATED', // an attribute runs past the end of the message
  // attribute values (RFC 8489 §14, RFC 8656 §18)
  'ERR_STUN_BAD_ATTRIBUTE', // a known attribute has a malformed value
  'ERR_STUN_ATTR_TOO_LONG', // a text attribute exceeds its RFC length limit
  'ERR_STUN_ADDRESS_FAMILY', // an address family the relay does not support (→ 440)
  // ChannelData (RFC 8656 §12.4)
  'ERR_CHANNEL_DATA_TOO_SHORT',
  'ERR_CHANNEL_DATA_BAD_CHANNEL',
  'ERR_CHANNEL_DATA_TRUNCATED',
  // stream framing (RFC 8656 §12.5, RFC 8489 §6.2.2)
  'ERR_FRAME_GARBAGE', // bytes that start neither a STUN message nor a ChannelData frame
  'ERR_FRAME_TOO_LARGE', // more buffered than the configured bound
] as const

export type DecodeErrorCode = (typeof DECODE_ERROR_CODES)[number]

/** Codes raised by credential and nonce handling (relay/auth). */
export const AUTH_ERROR_CODES = [
  'ERR_CRED_MALFORMED', // username is not `<expiry>:<identity>` or the identity is bad
  'ERR_CRED_EXPIRED', // expiry in the username is in the past
  'ERR_CRED_NO_MEETING', // the relay requires a meeting-scoped identity
  'ERR_CRED_NO_SECRET', // no secret configured
  'ERR_CRED_BAD_ARGUMENT', // a mint argument is invalid (programming error)
  'ERR_CRED_UNKNOWN', // no configured secret verifies the message (wrong password or foreign secret)
  'ERR_CRED_TTL_TOO_LONG', // expiry further ahead than the relay accepts
] as const

export type AuthErrorCode = (typeof AUTH_ERROR_CODES)[number]

/** Codes raised when compiling the operator's peer policy (relay/peer-safety). */
export const PEER_POLICY_ERROR_CODES = ['ERR_PEER_POLICY_CIDR'] as const

export type PeerPolicyErrorCode = (typeof PEER_POLICY_ERROR_CODES)[number]

/** Codes raised by the relay node's own set-up (relay/node). */
export const NODE_ERROR_CODES = [
  'ERR_TLS_FILE', // a TLS certificate or key file cannot be read
  'ERR_TLS_CERTIFICATE', // the certificate and key are not a usable PEM pair (garbage, mismatch)
  'ERR_NATIVE_UNAVAILABLE', // --data-path native, but the native engine cannot be loaded
  'ERR_DATA_PATH', // a data path or data thread count that is not one
  'ERR_RELAY_SETUP', // the relay's own set-up is not one it can run: listen, relay or public addresses, secrets, region
] as const

export type NodeErrorCode = (typeof NODE_ERROR_CODES)[number]

/** Every code the relay raises; a new code is added to one of the lists above. */
export type RelayErrorCode = DecodeErrorCode | AuthErrorCode | PeerPolicyErrorCode | NodeErrorCode

export class RelayError<Code extends RelayErrorCode = RelayErrorCode> extends CodedError<Code> {}

/** Thrown by every decoder in relay/proto — and nothing else is thrown by them. */
export class StunDecodeError extends RelayError<DecodeErrorCode> {}

export class CredentialError extends RelayError<AuthErrorCode> {}
