/**
 * Decoding and encoding of sovereign.signal.v1 frames, for both ends. Validation walks the
 * schemas with TypeBox's `Value` (no code generation): `TypeCompiler.Compile` builds its
 * checker with `new Function`, which a page under a strict Content-Security-Policy (no
 * 'unsafe-eval') refuses, and the client SDK runs in such pages. Decoding never throws: it
 * returns a result with a stable error code so the caller decides (the server closes with
 * 4000/4016, the client reports).
 */
import type { TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'

import { ClientMessage, type ClientMessageShape } from './client-messages.js'
import type { ErrorCode } from './error-codes.js'
import { ServerMessage, type ServerMessageShape } from './server-messages.js'
import { LIMITS } from './version.js'

/** The two calls of a compiled checker, over `Value` (interpreted, eval-free). */
interface Checker {
  Check(value: unknown): boolean
  Errors(value: unknown): { First(): { path: string; message: string } | undefined }
}

function checkerOf(schema: TSchema): Checker {
  return { Check: (value) => Value.Check(schema, value), Errors: (value) => Value.Errors(schema, value) }
}

const clientCheck = checkerOf(ClientMessage)
const serverCheck = checkerOf(ServerMessage)

export type Decoded<T> =
  | { readonly ok: true; readonly message: T }
  | { readonly ok: false; readonly code: ErrorCode; readonly detail: string }

/** Byte length of a string as UTF-8, without allocating a buffer (works in browsers too). */
export function utf8Length(text: string): number {
  let bytes = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x80) bytes += 1
    else if (c < 0x800) bytes += 2
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) { bytes += 4; i++ }
    else bytes += 3
  }
  return bytes
}

function decode<T>(frame: string, check: Checker): Decoded<T> {
  if (utf8Length(frame) > LIMITS.maxFrameBytes) {
    return { ok: false, code: 'SR_MESSAGE_TOO_LARGE', detail: `frame over ${LIMITS.maxFrameBytes} bytes` }
  }
  let value: unknown
  try {
    value = JSON.parse(frame)
  } catch {
    return { ok: false, code: 'SR_PROTOCOL_VIOLATION', detail: 'frame is not JSON' }
  }
  if (check.Check(value)) return { ok: true, message: value as T }
  const first = check.Errors(value).First()
  const type = typeof value === 'object' && value !== null && 'type' in value ? String((value as { type: unknown }).type) : '?'
  return { ok: false, code: 'SR_PROTOCOL_VIOLATION', detail: `${type}: ${first ? `${first.path || '/'} ${first.message}` : 'invalid'}` }
}

/** Server side: a frame from a participant. */
export function decodeClientMessage(frame: string): Decoded<ClientMessageShape> {
  return decode<ClientMessageShape>(frame, clientCheck)
}

/** Client side: a frame from the control plane. */
export function decodeServerMessage(frame: string): Decoded<ServerMessageShape> {
  return decode<ServerMessageShape>(frame, serverCheck)
}

/** Validates before sending, so a bug in our own code never puts an invalid frame on the wire. */
export function encodeClientMessage(message: ClientMessageShape): string {
  if (!clientCheck.Check(message)) throw new TypeError(`invalid client message: ${describe(clientCheck, message)}`)
  return JSON.stringify(message)
}

export function encodeServerMessage(message: ServerMessageShape): string {
  if (!serverCheck.Check(message)) throw new TypeError(`invalid server message: ${describe(serverCheck, message)}`)
  return JSON.stringify(message)
}

function describe(check: Checker, value: unknown): string {
  const first = check.Errors(value).First()
  return first ? `${first.path || '/'} ${first.message}` : 'invalid'
}
