/**
 * USERHASH (RFC 8489 §14.4): SHA-256(OpaqueString(username) ":" OpaqueString(realm)),
 * 32 bytes, sent instead of USERNAME when the server offers username anonymity.
 * OpaqueString is taken as the identity (see message-integrity.ts).
 */
import { createHash } from 'node:crypto'
import { StunDecodeError } from '../errors.js'

export function userhash(username: string, realm: string): Buffer {
  return createHash('sha256').update(`${username}:${realm}`, 'utf8').digest()
}

export function decodeUserhash(value: Buffer): Buffer {
  if (value.length !== 32) throw new StunDecodeError('ERR_STUN_BAD_ATTRIBUTE', `USERHASH of ${value.length} bytes`)
  return value
}
