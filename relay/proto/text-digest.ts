/**
 * One digest of a short text's UTF-8 bytes: the long-term credential keys of RFC 8489
 * §9.2.2 (MD5, or SHA-256 with PASSWORD-ALGORITHM). Through the addon's OpenSSL when it
 * loads (relay/native/crypto.ts: no algorithm fetch or Buffer per call), else node:crypto's
 * one-shot `hash`; the bytes are the same.
 */
import { hash } from 'node:crypto'

import { NATIVE_MD5, NATIVE_SHA256, loadNativeCrypto } from '../native/crypto.js'

const native = loadNativeCrypto()
const SIZE = { md5: 16, sha256: 32 } as const
/** The native call takes at most 4,095 UTF-8 bytes; a UTF-16 unit is at most 3 of them. */
const NATIVE_MAX_CHARS = 1365

export function textDigest(algorithm: 'md5' | 'sha256', text: string, implementation: 'native' | 'node' = native ? 'native' : 'node'): Buffer {
  if (implementation === 'native' && native && text.length <= NATIVE_MAX_CHARS) {
    const out = Buffer.allocUnsafe(SIZE[algorithm])
    native.digestInto(out, algorithm === 'md5' ? NATIVE_MD5 : NATIVE_SHA256, text)
    return out
  }
  return hash(algorithm, text, 'buffer')
}
