/**
 * UNKNOWN-ATTRIBUTES (RFC 8489 §14.13): a list of 16-bit attribute types, sent with a 420
 * when a request carries comprehension-required attributes the server does not know.
 */
import { StunDecodeError } from '../errors.js'
import { isComprehensionRequired } from './constants.js'
import type { StunMessage } from './message.js'

export function encodeUnknownAttributes(types: readonly number[]): Buffer {
  const out = Buffer.alloc(types.length * 2)
  types.forEach((t, i) => out.writeUInt16BE(t, i * 2))
  return out
}

export function decodeUnknownAttributes(value: Buffer): number[] {
  if ((value.length & 1) !== 0) throw new StunDecodeError('ERR_STUN_BAD_ATTRIBUTE', `UNKNOWN-ATTRIBUTES of ${value.length} bytes`)
  const types: number[] = []
  for (let i = 0; i < value.length; i += 2) types.push(value.readUInt16BE(i))
  return types
}

/** The comprehension-required attribute types of a message that are not in `known` (deduplicated). */
export function unknownComprehensionRequired(msg: StunMessage, known: ReadonlySet<number>): number[] {
  const unknown: number[] = []
  for (const a of msg.attributes) {
    if (isComprehensionRequired(a.type) && !known.has(a.type) && !unknown.includes(a.type)) unknown.push(a.type)
  }
  return unknown
}
