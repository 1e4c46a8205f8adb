/**
 * The typed face of the addon's `crypto` export (relay/native/src/crypto.cc): HMAC and
 * digests over Node's own OpenSSL, writing into a buffer the caller provides. relay/proto
 * uses it for STUN authentication when the addon loads, and its pure-JavaScript HMAC
 * (@noble/hashes) and node:crypto otherwise: the results are the same bytes.
 */
import { loadAddon } from './index.js'

/** Algorithm numbers of crypto.cc. */
export const NATIVE_SHA1 = 0
export const NATIVE_SHA256 = 1
export const NATIVE_MD5 = 2

export interface NativeCrypto {
  /** HMAC (SHA-1 or SHA-256) of the parts' concatenation into `out`; returns the bytes written. */
  hmacInto(out: Uint8Array, algorithm: typeof NATIVE_SHA1 | typeof NATIVE_SHA256, key: Uint8Array, ...parts: Uint8Array[]): number
  /** The digest of `text`'s UTF-8 bytes (at most 4,095) into `out`; returns the bytes written. */
  digestInto(out: Uint8Array, algorithm: typeof NATIVE_SHA1 | typeof NATIVE_SHA256 | typeof NATIVE_MD5, text: string): number
  /** The OpenSSL these run on (Node's own), e.g. "OpenSSL 3.5.9 29 Sep 2026". */
  readonly openssl: string
}

/** The addon's crypto, or undefined when the addon does not load or its OpenSSL lacks an algorithm. */
export function loadNativeCrypto(): NativeCrypto | undefined {
  const load = loadAddon()
  if (!load.ok) return undefined
  const c = load.addon.crypto as Partial<NativeCrypto> | undefined
  return c && typeof c.hmacInto === 'function' && typeof c.digestInto === 'function' ? (c as NativeCrypto) : undefined
}
