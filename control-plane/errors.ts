/**
 * The control plane's error catalogue: one @fastify/error class per stable code of
 * protocol/error-codes.ts, each with its HTTP status. Code anywhere in the control plane
 * throws these; the HTTP error handler and the signaling session map them to a status, an
 * `error`/`denied` message and a close code here, at one boundary (`toHttpError`,
 * `toSignalError`). Anything that is not one of ours becomes SR_INTERNAL without leaking
 * its message.
 */
import createError, { type FastifyError } from '@fastify/error'

import { StateError } from '../state/errors.js'

import { ERROR_CODES, closeCodeOf, isErrorCode, type CloseCode, type ErrorCode } from './protocol/error-codes.js'

export type SovereignError = FastifyError & { code: ErrorCode; statusCode: number; detail?: string }
type ErrorClass = new (detail?: string) => SovereignError

const classes = new Map<ErrorCode, ErrorClass>()
for (const [code, spec] of Object.entries(ERROR_CODES) as Array<[ErrorCode, (typeof ERROR_CODES)[ErrorCode]]>) {
  // `%s` carries an optional detail, e.g. "region not allowed for this tenant: eu-west".
  classes.set(code, createError(code, `${spec.message}%s`, spec.status) as unknown as ErrorClass)
}

/** A catalogue error. `detail` is appended to the stable message and must not hold secrets. */
export function sovereignError(code: ErrorCode, detail?: string): SovereignError {
  const Class = classes.get(code)
  if (!Class) throw new TypeError(`unknown error code ${code}`)
  const err = new Class(detail === undefined ? '' : `: ${detail}`)
  if (detail !== undefined) err.detail = detail
  return err
}

export function isSovereignError(err: unknown): err is SovereignError {
  if (!(err instanceof Error)) return false
  const code: unknown = (err as Error & { code?: unknown }).code
  return typeof code === 'string' && isErrorCode(code)
}

/**
 * The state layer could not answer (Redis unreachable, reconnecting, timed out, or closed
 * under us by shutdown): nothing was decided, so the client may retry. Not an internal
 * error (issue 9, item 7): 503 SR_STATE_UNAVAILABLE with Retry-After, close 4022.
 */
export function isStateUnavailable(err: unknown): boolean {
  return err instanceof StateError && (err.code === 'ERR_STATE_UNAVAILABLE' || err.code === 'ERR_STATE_CLOSED')
}

/** Seconds a client should wait before retrying after SR_STATE_UNAVAILABLE: about one reconnect backoff of the Redis connection (at most 2 s). */
export const STATE_RETRY_AFTER_SECONDS = 2

export function errorCodeOf(err: unknown): ErrorCode {
  if (isSovereignError(err)) return err.code
  return isStateUnavailable(err) ? 'SR_STATE_UNAVAILABLE' : 'SR_INTERNAL'
}

export interface HttpError {
  readonly statusCode: number
  readonly body: { readonly code: ErrorCode; readonly message: string }
  /** For SR_REDIRECT_HOME_REGION: where the client must go instead (307). */
  readonly location?: string
  /** The Retry-After header, in seconds, when the client should come back later. */
  readonly retryAfterSeconds?: number
}

/**
 * What the framework (fastify, @fastify/static) refuses before a route runs — a body that
 * does not parse, is too large or of an unknown type, a path the file server will not
 * serve — is the client's fault: its catalogue code by the framework's status. Any other
 * framework 4xx is SR_BAD_REQUEST.
 */
const FRAMEWORK_CLIENT_ERRORS: Readonly<Record<number, ErrorCode>> = {
  403: 'SR_PATH_FORBIDDEN',
  413: 'SR_BODY_TOO_LARGE',
  415: 'SR_UNSUPPORTED_MEDIA_TYPE',
}

/** Why a body was refused, by fastify's code: our words, since fastify's may change. */
const FRAMEWORK_DETAILS: Readonly<Record<string, string>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'the body is not valid JSON, or holds __proto__ or constructor.prototype',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'the body is empty',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'the body does not match its Content-Length',
}

/** A client error raised by the framework (its codes start with FST_), as a catalogue error; else undefined. */
export function frameworkClientError(err: unknown): SovereignError | undefined {
  if (!(err instanceof Error)) return undefined
  const { code, statusCode } = err as Error & { code?: unknown; statusCode?: unknown }
  if (typeof code !== 'string' || !code.startsWith('FST_') || typeof statusCode !== 'number' || statusCode < 400 || statusCode > 499) return undefined
  return sovereignError(FRAMEWORK_CLIENT_ERRORS[statusCode] ?? 'SR_BAD_REQUEST', FRAMEWORK_DETAILS[code])
}

/** The HTTP boundary. Fastify's own validation errors become SR_INVALID_REQUEST (422), its other client errors their codes above. */
export function toHttpError(err: unknown, location?: string): HttpError {
  if (isSovereignError(err)) {
    const out = { statusCode: err.statusCode, body: { code: err.code, message: err.message } }
    return err.code === 'SR_REDIRECT_HOME_REGION' && location !== undefined ? { ...out, location } : out
  }
  if (err instanceof Error && (err as { validation?: unknown }).validation !== undefined) {
    return { statusCode: 422, body: { code: 'SR_INVALID_REQUEST', message: err.message } }
  }
  const client = frameworkClientError(err)
  if (client !== undefined) return toHttpError(client)
  if (isStateUnavailable(err)) {
    return { statusCode: 503, body: { code: 'SR_STATE_UNAVAILABLE', message: ERROR_CODES.SR_STATE_UNAVAILABLE.message }, retryAfterSeconds: STATE_RETRY_AFTER_SECONDS }
  }
  return { statusCode: 500, body: { code: 'SR_INTERNAL', message: ERROR_CODES.SR_INTERNAL.message } }
}

export interface SignalError {
  readonly code: ErrorCode
  readonly message: string
  /** Set when the error ends the session: send the message, then close with this code. */
  readonly close?: CloseCode
}

/** The signaling boundary: what the session sends, and whether it then closes. */
export function toSignalError(err: unknown): SignalError {
  const code = errorCodeOf(err)
  const message = isSovereignError(err) ? err.message : ERROR_CODES[code].message
  const close = closeCodeOf(code)
  return close === undefined ? { code, message } : { code, message, close }
}
