/**
 * Numbers of the STUN/TURN wire protocol: RFC 8489 (STUN) §5, §14, §18; RFC 8656 (TURN)
 * §13, §14, §17, §18; RFC 8445 is not needed by a relay.
 */

/** RFC 8489 §5: fixed value in every STUN header, also the XOR key of addresses. */
export const MAGIC_COOKIE = 0x2112a442
export const HEADER_LENGTH = 20
export const TRANSACTION_ID_LENGTH = 12
/** RFC 8489 §14.7: CRC-32 of the message XOR-ed with this ("STUN"). */
export const FINGERPRINT_XOR = 0x5354554e

/** RFC 8489 §18.2 and RFC 8656 §17. */
export const Method = {
  Binding: 0x001,
  Allocate: 0x003,
  Refresh: 0x004,
  Send: 0x006,
  Data: 0x007,
  CreatePermission: 0x008,
  ChannelBind: 0x009,
} as const
export type Method = (typeof Method)[keyof typeof Method]

/** RFC 8489 §5: the two class bits C1 C0. */
export enum MessageClass {
  Request = 0b00,
  Indication = 0b01,
  SuccessResponse = 0b10,
  ErrorResponse = 0b11,
}

/** RFC 8489 §18.3, RFC 8656 §18, RFC 8656 §18.? (ICMP), RFC 8489 (SHA-256 family). */
export const Attr = {
  // comprehension-required (0x0000–0x7FFF)
  MappedAddress: 0x0001,
  Username: 0x0006,
  MessageIntegrity: 0x0008,
  ErrorCode: 0x0009,
  UnknownAttributes: 0x000a,
  ChannelNumber: 0x000c,
  Lifetime: 0x000d,
  XorPeerAddress: 0x0012,
  Data: 0x0013,
  Realm: 0x0014,
  Nonce: 0x0015,
  XorRelayedAddress: 0x0016,
  RequestedAddressFamily: 0x0017,
  EvenPort: 0x0018,
  RequestedTransport: 0x0019,
  DontFragment: 0x001a,
  MessageIntegritySha256: 0x001c,
  PasswordAlgorithm: 0x001d,
  Userhash: 0x001e,
  XorMappedAddress: 0x0020,
  ReservationToken: 0x0022,
  // comprehension-optional (0x8000–0xFFFF)
  AdditionalAddressFamily: 0x8000,
  AddressErrorCode: 0x8001,
  PasswordAlgorithms: 0x8002,
  AlternateDomain: 0x8003,
  Icmp: 0x8004,
  Software: 0x8022,
  AlternateServer: 0x8023,
  Fingerprint: 0x8028,
} as const
export type Attr = (typeof Attr)[keyof typeof Attr]

/** RFC 8489 §14: attribute types below 0x8000 must be understood or the request fails with 420. */
export function isComprehensionRequired(type: number): boolean {
  return type < 0x8000
}

/** RFC 8489 §14.8 and RFC 8656 §18. */
export const StunErrorCode = {
  TryAlternate: 300,
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  UnknownAttribute: 420,
  AllocationMismatch: 437,
  StaleNonce: 438,
  AddressFamilyNotSupported: 440,
  WrongCredentials: 441,
  UnsupportedTransportProtocol: 442,
  PeerAddressFamilyMismatch: 443,
  AllocationQuotaReached: 486,
  ServerError: 500,
  InsufficientCapacity: 508,
} as const
export type StunErrorCode = (typeof StunErrorCode)[keyof typeof StunErrorCode]

/** The reason phrases the RFCs suggest. */
export const STUN_ERROR_REASON: Readonly<Record<StunErrorCode, string>> = {
  300: 'Try Alternate',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  420: 'Unknown Attribute',
  437: 'Allocation Mismatch',
  438: 'Stale Nonce',
  440: 'Address Family not Supported',
  441: 'Wrong Credentials',
  442: 'Unsupported Transport Protocol',
  443: 'Peer Address Family Mismatch',
  486: 'Allocation Quota Reached',
  500: 'Server Error',
  508: 'Insufficient Capacity',
}

/**
 * Channel numbers a client may bind. RFC 8656 §12 narrowed the range to 0x4000–0x4FFF,
 * but RFC 5766 §11 allowed 0x4000–0x7FFF and coturn (turnutils_uclient) and libwebrtc
 * still bind up there; the first two bits (0b01) tell ChannelData from STUN either way,
 * so the wider range costs nothing. 0x8000 and above stay refused.
 */
export const CHANNEL_NUMBER_MIN = 0x4000
export const CHANNEL_NUMBER_MAX = 0x7fff

/** RFC 8656 §18.8: IANA protocol numbers in REQUESTED-TRANSPORT. */
export const TRANSPORT_UDP = 17
export const TRANSPORT_TCP = 6

/** RFC 8656 §3.? default/maximum lifetimes are server policy; these are the RFC's values. */
export const DEFAULT_ALLOCATION_LIFETIME = 600
export const PERMISSION_LIFETIME = 300
export const CHANNEL_BIND_LIFETIME = 600
