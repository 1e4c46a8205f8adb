/**
 * Coded errors of the state layer. Callers map codes to HTTP statuses / STUN errors at
 * their own boundary; `ERR_STATE_UNAVAILABLE` in particular means "could not verify":
 * a relay or control plane that receives it fails closed.
 */
import { CodedError } from '../geo/coded-error.js'

export const STATE_ERROR_CODES = [
  'ERR_STATE_UNAVAILABLE', // Redis unreachable, reconnecting, cluster down, timed out
  'ERR_STATE_CLOSED', // the store was closed by its owner
  'ERR_STATE_COMMAND', // Redis answered with an error that is not about availability (a bug)
  'ERR_STATE_NOT_HOMED_HERE', // a meeting key was asked of a region that is not its home
  'ERR_STATE_CORRUPT', // a stored or published value did not parse (never written by this code)
  'ERR_STATE_SCRIPTS', // the Lua scripts on disk do not match SCRIPT_NAMES (a broken install)
  'ERR_STATE_SECRET_MISSING', // the environment variable holding a Redis password is not set
] as const

export type StateErrorCode = (typeof STATE_ERROR_CODES)[number]

export class StateError extends CodedError<StateErrorCode> {}

/** The store cannot answer now. Fail closed; the connection reconnects on its own. */
export class StateUnavailableError extends StateError {
  constructor(region: string, cause?: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause ?? 'not connected')
    super('ERR_STATE_UNAVAILABLE', `state of region ${region} is unavailable: ${why}`, { cause })
  }
}

export class StateClosedError extends StateError {
  constructor(region: string) {
    super('ERR_STATE_CLOSED', `state of region ${region} was closed`)
  }
}

export class MeetingNotHomedHereError extends StateError {
  readonly meetingId: string
  readonly region: string
  constructor(meetingId: string, region: string) {
    super('ERR_STATE_NOT_HOMED_HERE', `meeting ${meetingId} is not homed in region ${region}`)
    this.meetingId = meetingId
    this.region = region
  }
}

/** Replies that mean "this Redis cannot serve right now", not "your command is wrong". */
const UNAVAILABLE_REPLY = /^(CLUSTERDOWN|LOADING|MASTERDOWN|TRYAGAIN|READONLY|NOREPLICAS|BUSY)\b/

/**
 * The one place a Redis failure becomes a coded error. Connection-level failures
 * (offline queue refused, socket closed, timeouts, "all nodes failed") and
 * availability replies become StateUnavailableError; other replies are bugs.
 */
export function toStateError(region: string, err: unknown): StateError {
  if (err instanceof StateError) return err
  const name = err instanceof Error ? err.name : ''
  const message = err instanceof Error ? err.message : String(err)
  if (name === 'ReplyError' && !UNAVAILABLE_REPLY.test(message)) {
    return new StateError('ERR_STATE_COMMAND', `redis of region ${region} refused a command: ${message}`, { cause: err })
  }
  return new StateUnavailableError(region, err)
}
