/**
 * The dashboard's WebSocket protocol (`GET /dashboard/ws`), apart from signaling's
 * sovereign.signal.v1: browsers cannot set headers on a WebSocket, so the page sends the
 * operator's admin key as its FIRST message; nothing is sent to it before that succeeds.
 *
 *   page -> server   { type: 'auth', key }                  once, within AUTH_TIMEOUT_MS
 *   server -> page   { type: 'hello', region, nodeId, scope }
 *                    { type: 'snapshot', view }             every refresh (DashboardView)
 *                    { type: 'decisions', decisions, reset } new residency decisions
 *                    { type: 'error', code, message }       before a close, or a failed refresh
 *
 * Close codes are DASHBOARD_ERRORS' `close` (RFC 6455 §7.4.2 leaves 4000-4999 to
 * applications): 4000 + the HTTP status the same refusal gets on the API (4401, 4403, ...).
 */
import { Type, type Static } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'

import type { DashboardView, DecisionView } from './view-model.js'

export const DASHBOARD_ERRORS = {
  SR_PROTOCOL_VIOLATION: { close: 4400, message: 'the first message must be {"type":"auth","key":"..."}' },
  SR_UNAUTHENTICATED: { close: 4401, message: 'unknown admin key' },
  SR_FORBIDDEN: { close: 4403, message: 'an operator (admin) key is required; this is a tenant key' },
  SR_AUTH_TIMEOUT: { close: 4408, message: 'no auth message in time' },
  SR_MESSAGE_TOO_LARGE: { close: 4413, message: 'message exceeds the size limit' },
  SR_STATE_UNAVAILABLE: { close: undefined, message: "the region's state could not be read" },
} as const

export type DashboardErrorCode = keyof typeof DASHBOARD_ERRORS

/** Going away (server shutting down): the page reconnects. */
export const CLOSE_GOING_AWAY = 1001

export const AUTH_TIMEOUT_MS = 10_000
/** An admin key is 256 random bits in text; anything much longer is not one. */
export const MAX_AUTH_BYTES = 1024

const AuthMessage = Type.Object({ type: Type.Literal('auth'), key: Type.String({ minLength: 1, maxLength: 512 }) }, { additionalProperties: false })
export type AuthMessage = Static<typeof AuthMessage>
const checkAuth = TypeCompiler.Compile(AuthMessage)

/** The auth message in a frame, or undefined when the frame is anything else. */
export function parseAuth(frame: string): AuthMessage | undefined {
  let value: unknown
  try {
    value = JSON.parse(frame)
  } catch {
    return undefined
  }
  return checkAuth.Check(value) ? value : undefined
}

export type ServerMessage =
  | { readonly type: 'hello'; readonly region: string; readonly nodeId: string; readonly scope: string }
  | { readonly type: 'snapshot'; readonly view: DashboardView }
  | { readonly type: 'decisions'; readonly decisions: readonly DecisionView[]; readonly reset: boolean }
  | { readonly type: 'error'; readonly code: DashboardErrorCode; readonly message: string }

export function errorMessage(code: DashboardErrorCode, message: string = DASHBOARD_ERRORS[code].message): ServerMessage {
  return { type: 'error', code, message }
}
