/**
 * When and how soon the signaling client reconnects after its socket closed: pure
 * functions, so a test drives them with an injected `random` and no clock.
 *
 * A close is final when the server meant it (removed, ended, denied, replaced by a newer
 * socket, state lost, a protocol error, ...): every application close code 4000-4999 (RFC
 * 6455 §7.4.2) except 4500 (an internal error on that node), 4019 (this socket read too
 * slowly: a fresh one starts with an empty queue) and 4022 (the region's state was briefly
 * unreachable: nothing was decided), 4025 (this node lost the session's presence lease), and a normal 1000. The rest say the connection or the
 * node went away (1001 going away, 1006 abnormal, 1011-1014 server error, restart, try
 * again later, bad gateway): the seat is still ours, so we come back.
 */
import { CLOSE_CODES } from '../protocol/error-codes.js'

export interface ReconnectOptions {
  /** First delay before attempt 1 (default 250 ms). */
  readonly initialDelayMs?: number
  /** Cap of the exponential growth (default 10 s). */
  readonly maxDelayMs?: number
  /** Growth per attempt (default 2). */
  readonly factor?: number
  /** Give up (and close for good) after this many failed attempts in a row (default unlimited). */
  readonly maxAttempts?: number
  /** Uniform [0, 1); injected by tests. Default Math.random. */
  readonly random?: () => number
}

const RETRYABLE = new Set<number>([1001, 1005, 1006, 1011, 1012, 1013, 1014, CLOSE_CODES.internal, CLOSE_CODES.slowConsumer, CLOSE_CODES.stateUnavailable, CLOSE_CODES.presenceLost])

/** Does a socket closed with `code` deserve a reconnect? */
export function shouldReconnect(code: number): boolean {
  return RETRYABLE.has(code)
}

/**
 * Delay before attempt `attempt` (1-based): exponential, capped, with "equal jitter" (half
 * fixed, half random), so a region's clients dropped at once by a dying node spread their
 * reconnects over time instead of arriving together, yet none retries at once.
 */
export function reconnectDelay(attempt: number, options: ReconnectOptions = {}): number {
  const initial = options.initialDelayMs ?? 250
  const cap = options.maxDelayMs ?? 10_000
  const factor = options.factor ?? 2
  const random = options.random ?? Math.random
  const ceiling = Math.min(cap, initial * factor ** Math.max(0, attempt - 1))
  return Math.round(ceiling / 2 + random() * (ceiling / 2))
}
