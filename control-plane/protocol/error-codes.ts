/**
 * Stable error codes of the control plane, shared by HTTP answers and signaling `error`
 * messages (one namespace, `SR_*`). A code never changes meaning; new codes are added
 * at the end of their group. `close` is the WebSocket close code (RFC 6455 §7.4.2 leaves
 * 4000-4999 to applications) used when the error ends the session; `undefined` means the
 * error is reported with an `error` message and the session continues.
 * HTTP statuses and @fastify/error classes are derived from this table in ../errors.ts.
 */
export const CLOSE_CODES = {
  protocolViolation: 4000,
  badToken: 4001,
  badPasscode: 4002,
  forbiddenCountry: 4003,
  meetingNotFound: 4004,
  meetingLocked: 4005,
  meetingFull: 4006,
  deniedByHost: 4007,
  rateLimited: 4008,
  removed: 4009,
  meetingEnded: 4010,
  redirect: 4011,
  joinTimeout: 4012,
  removedCannotRejoin: 4013,
  unsupportedProtocol: 4014,
  left: 4015,
  messageTooLarge: 4016,
  publicKeyRequired: 4017,
  keyUnavailable: 4018,
  slowConsumer: 4019,
  sessionReplaced: 4020,
  tooManyUnjoined: 4021,
  stateUnavailable: 4022,
  passcodeAttempts: 4023,
  stateLost: 4024,
  presenceLost: 4025,
  internal: 4500,
} as const

export type CloseCode = (typeof CLOSE_CODES)[keyof typeof CLOSE_CODES]

export interface ErrorSpec {
  readonly status: number
  readonly close?: CloseCode
  readonly message: string
}

const C = CLOSE_CODES

export const ERROR_CODES = {
  // request / protocol
  SR_INVALID_REQUEST: { status: 422, message: 'the request does not match its schema' },
  SR_PROTOCOL_VIOLATION: { status: 400, close: C.protocolViolation, message: 'message does not follow sovereign.signal.v1' },
  SR_UNSUPPORTED_PROTOCOL: { status: 426, close: C.unsupportedProtocol, message: 'the sovereign.signal.v1 subprotocol is required' },
  SR_MESSAGE_TOO_LARGE: { status: 413, close: C.messageTooLarge, message: 'message exceeds the size limit' },
  SR_JOIN_TIMEOUT: { status: 408, close: C.joinTimeout, message: 'no join message in time' },
  SR_NOT_JOINED: { status: 409, message: 'join first' },
  SR_ALREADY_JOINED: { status: 409, message: 'this socket already joined' },
  SR_RATE_LIMITED: { status: 429, close: C.rateLimited, message: 'too many requests' },
  SR_INTERNAL: { status: 500, close: C.internal, message: 'internal error' },
  SR_SLOW_CONSUMER: { status: 503, close: C.slowConsumer, message: 'the socket reads too slowly: too much is queued for it' },
  SR_SESSION_REPLACED: { status: 409, close: C.sessionReplaced, message: 'a newer socket of the same participant took over' },
  SR_TOO_MANY_UNJOINED: { status: 429, close: C.tooManyUnjoined, message: 'too many sockets that have not joined' },
  SR_BAD_REQUEST: { status: 400, message: 'the request is malformed' },
  SR_BODY_TOO_LARGE: { status: 413, message: 'the request body exceeds the size limit' },
  SR_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'the request body has an unsupported content type' },
  SR_PATH_FORBIDDEN: { status: 403, message: 'this path may not be served' },
  SR_STATE_UNAVAILABLE: { status: 503, close: C.stateUnavailable, message: 'the region state is unavailable, retry shortly' },
  // tenants, meetings, regions
  SR_UNAUTHENTICATED: { status: 401, message: 'missing or unknown API key' },
  SR_FORBIDDEN: { status: 403, message: 'this key may not do that' },
  SR_REGION_NOT_ALLOWED: { status: 403, message: 'region not allowed for this tenant' },
  SR_REGION_UNKNOWN: { status: 422, message: 'unknown region' },
  SR_MEETING_NOT_FOUND: { status: 404, close: C.meetingNotFound, message: 'meeting not found' },
  SR_REDIRECT_HOME_REGION: { status: 307, close: C.redirect, message: 'the meeting lives in another region' },
  SR_MEETING_STATE_CONFLICT: { status: 409, message: 'the meeting is not in a state that allows this' },
  SR_REPORT_KEY_MISSING: { status: 503, message: 'this region has no report signing key' },
  SR_KEY_UNAVAILABLE: { status: 503, close: C.keyUnavailable, message: 'the meeting key cannot be opened' },
  SR_KEY_MODE_UNAVAILABLE: { status: 422, message: 'managed key mode is not available in this region (no key-encryption key is configured)' },
  SR_RELAY_NOT_FOUND: { status: 404, message: 'no such relay in this region' },
  SR_PASSCODE_TOO_WEAK: { status: 422, message: 'the passcode is shorter than this region allows' },
  SR_PRESENCE_LOST: { status: 503, close: C.presenceLost, message: 'the region let this session go: its node could not renew its presence lease; reconnect' },
  SR_STATE_LOST: { status: 410, close: C.stateLost, message: 'the region lost its meeting state (its Redis came back empty); this meeting no longer exists' },
  SR_NO_RELAY_AVAILABLE: { status: 503, message: "no relay of the meeting's allowed regions is live" },
  // participant tokens
  SR_TOKEN_MISSING: { status: 401, close: C.badToken, message: 'participant token missing' },
  SR_TOKEN_MALFORMED: { status: 401, close: C.badToken, message: 'participant token malformed' },
  SR_TOKEN_BAD_SIGNATURE: { status: 401, close: C.badToken, message: 'participant token signature invalid' },
  SR_TOKEN_EXPIRED: { status: 401, close: C.badToken, message: 'participant token expired' },
  SR_TOKEN_NOT_YET_VALID: { status: 401, close: C.badToken, message: 'participant token not yet valid' },
  SR_TOKEN_WRONG_AUDIENCE: { status: 401, close: C.badToken, message: 'participant token is not for sovereign-relay' },
  SR_TOKEN_UNKNOWN_TENANT: { status: 401, close: C.badToken, message: 'participant token issuer unknown' },
  SR_TOKEN_CLAIMS_INVALID: { status: 401, close: C.badToken, message: 'participant token claims invalid' },
  SR_TOKEN_WRONG_MEETING: { status: 401, close: C.badToken, message: 'participant token is for another meeting' },
  SR_TOKEN_TTL_INVALID: { status: 422, message: 'token lifetime must be between 1 second and 24 hours' },
  // admission
  SR_PASSCODE_REQUIRED: { status: 401, close: C.badPasscode, message: 'this meeting needs a passcode' },
  SR_PASSCODE_WRONG: { status: 401, close: C.badPasscode, message: 'wrong passcode' },
  SR_MEETING_ENDED: { status: 410, close: C.meetingEnded, message: 'the meeting has ended' },
  SR_MEETING_LOCKED: { status: 423, close: C.meetingLocked, message: 'the meeting is locked' },
  SR_REMOVED_CANNOT_REJOIN: { status: 403, close: C.removedCannotRejoin, message: 'removed participants may not rejoin this meeting' },
  SR_MEETING_FULL: { status: 409, close: C.meetingFull, message: 'the meeting is at capacity' },
  SR_COUNTRY_FORBIDDEN: { status: 403, close: C.forbiddenCountry, message: 'attendees from this location may not join' },
  SR_DENIED_BY_HOST: { status: 403, close: C.deniedByHost, message: 'a host denied entry' },
  SR_REMOVED: { status: 403, close: C.removed, message: 'a host removed you from the meeting' },
  SR_PUBLIC_KEY_REQUIRED: { status: 422, close: C.publicKeyRequired, message: 'managed key mode needs an X25519 public key in join' },
  SR_PASSCODE_ATTEMPTS: { status: 429, close: C.passcodeAttempts, message: 'too many wrong passcodes, retry later' },
  // in-meeting rights (the session continues)
  SR_NOT_HOST: { status: 403, message: 'only a host or co-host may do that' },
  SR_HOST_ONLY: { status: 403, message: 'only the host may do that' },
  SR_CANNOT_ACT_ON_HOST: { status: 403, message: 'a co-host may not act on the host' },
  SR_SCREEN_SHARE_NOT_ALLOWED: { status: 403, message: 'you may not share your screen' },
  SR_FILE_TRANSFER_NOT_ALLOWED: { status: 403, message: 'file transfer is not allowed for you' },
  SR_RECORDING_NOT_ALLOWED: { status: 403, message: 'recording is not allowed for you' },
  SR_RECORDING_OFF: { status: 403, message: 'recording is off for this meeting' },
  SR_UNKNOWN_PARTICIPANT: { status: 404, message: 'no such admitted participant' },
  SR_NOT_WAITING: { status: 409, message: 'that participant is not waiting' },
  SR_TARGET_IS_SELF: { status: 422, message: 'a participant cannot signal or remove itself' },
} as const satisfies Record<string, ErrorSpec>

export type ErrorCode = keyof typeof ERROR_CODES

export const ERROR_CODE_NAMES = Object.keys(ERROR_CODES) as ErrorCode[]

export function isErrorCode(value: string): value is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_CODES, value)
}

/** The close code that ends a session for this error, if it does. */
export function closeCodeOf(code: ErrorCode): CloseCode | undefined {
  const spec: ErrorSpec = ERROR_CODES[code]
  return spec.close
}
