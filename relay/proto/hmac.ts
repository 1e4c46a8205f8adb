/**
 * HMAC (RFC 2104) over SHA-1 or SHA-256, for STUN's MESSAGE-INTEGRITY (RFC 8489 §14.5,
 * §14.6), REST passwords and the relay's stateless nonces. Two implementations give the
 * same bytes:
 * - 'native': the addon's HMAC over Node's own OpenSSL (relay/native/crypto.ts), used
 *   whenever the addon loads — a few hundred nanoseconds per message, nothing allocated
 *   but the result;
 * - 'noble': @noble/hashes (audited, no dependencies) with the key's inner and outer pads
 *   hashed once — each message clones those states into a scratch HMAC — for when the
 *   addon does not load (another OS, no compiler, SOVEREIGN_NATIVE_DISABLED=1).
 *
 * Why not node:crypto: with OpenSSL 3 every `createHmac` fetches the algorithm and builds a
 * context, which cost more per STUN message than the hashing itself.
 */
import { hmac as nobleHmac, type _HMAC } from '@noble/hashes/hmac.js'
import { sha1 } from '@noble/hashes/legacy.js'
import { sha256 } from '@noble/hashes/sha2.js'

import { NATIVE_SHA1, NATIVE_SHA256, loadNativeCrypto, type NativeCrypto } from '../native/crypto.js'

type Algorithm = 'sha1' | 'sha256'
type State = _HMAC<any> // noble types the HMAC by its inner hash class, which it does not export

export type HmacImplementation = 'native' | 'noble'

const native: NativeCrypto | undefined = loadNativeCrypto()

/** The implementations this process can run ('native' first when the addon loaded). */
export const HMAC_IMPLEMENTATIONS: readonly HmacImplementation[] = native ? ['native', 'noble'] : ['noble']
/** The one HmacKey uses unless told otherwise. */
export const HMAC_IMPLEMENTATION: HmacImplementation = HMAC_IMPLEMENTATIONS[0]!

const HASHES = { sha1, sha256 } as const
const OUTPUT = { sha1: 20, sha256: 32 } as const
/** One scratch state per algorithm: each `mac` overwrites it from the key's own states. */
const scratch: Record<Algorithm, State> = {
  sha1: nobleHmac.create(sha1, new Uint8Array(0)),
  sha256: nobleHmac.create(sha256, new Uint8Array(0)),
}

interface Mac {
  mac(parts: readonly Uint8Array[]): Buffer
}

/** One HMAC through the addon: no key object to make, nothing kept. */
function nativeHmac(algorithm: Algorithm, key: Uint8Array, parts: readonly Uint8Array[]): Buffer {
  const out = Buffer.allocUnsafe(OUTPUT[algorithm])
  native!.hmacInto(out, algorithm === 'sha1' ? NATIVE_SHA1 : NATIVE_SHA256, key, ...parts)
  return out
}

class NativeMac implements Mac {
  readonly #algorithm: Algorithm
  readonly #key: Uint8Array

  constructor(algorithm: Algorithm, key: Uint8Array) {
    this.#algorithm = algorithm
    this.#key = Uint8Array.from(key)
  }

  mac(parts: readonly Uint8Array[]): Buffer {
    return nativeHmac(this.#algorithm, this.#key, parts)
  }
}

class NobleMac implements Mac {
  readonly #algorithm: Algorithm
  /** The hash states after the inner and the outer pad (never updated: only cloned from). */
  readonly #keyed: State

  constructor(algorithm: Algorithm, key: Uint8Array) {
    this.#algorithm = algorithm
    this.#keyed = nobleHmac.create(HASHES[algorithm], key)
  }

  mac(parts: readonly Uint8Array[]): Buffer {
    const h = this.#keyed._cloneInto(scratch[this.#algorithm])
    for (const part of parts) h.update(part)
    const out = Buffer.allocUnsafe(h.outputLen)
    h.digestInto(out)
    return out
  }
}

export class HmacKey {
  readonly #mac: Mac

  /** `implementation`: tests pin one; everything else takes HMAC_IMPLEMENTATION. */
  constructor(algorithm: Algorithm, key: Uint8Array, implementation: HmacImplementation = HMAC_IMPLEMENTATION) {
    if (implementation === 'native' && !native) throw new RangeError('the native HMAC is not available: the addon did not load')
    this.#mac = implementation === 'native' ? new NativeMac(algorithm, key) : new NobleMac(algorithm, key)
  }

  /** HMAC of the concatenation of `parts` (no copy of them is made). */
  mac(...parts: Uint8Array[]): Buffer {
    return this.#mac.mac(parts)
  }
}

/**
 * For noble, the pads of recently used keys, found by a hash of the algorithm and the key bytes and
 * confirmed byte by byte (never by object identity, so a reused buffer cannot alias
 * another key). A request's integrity check and its response's signature use the same
 * long-term key moments apart; a small window catches that without growing with the
 * number of allocations.
 */
const RECENT_KEYS = 128
interface Recent { readonly algorithm: Algorithm; readonly bytes: Uint8Array; readonly key: HmacKey }
const recent = new Map<number, Recent>()

export function hmacKey(algorithm: Algorithm, key: Uint8Array, implementation: HmacImplementation = HMAC_IMPLEMENTATION): HmacKey {
  // A native key is a copy of the bytes: nothing to save by finding it again.
  if (implementation === 'native') return new HmacKey(algorithm, key, 'native')
  return recentNobleKey(algorithm, key)
}

function recentNobleKey(algorithm: Algorithm, key: Uint8Array): HmacKey {
  // FNV-1a over the key, seeded per algorithm: cheap, and only a hint (the bytes decide).
  let h = algorithm === 'sha1' ? 0x811c9dc5 : 0x050c5d1f
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key[i]!, 0x01000193)
  const hit = recent.get(h)
  if (hit !== undefined && hit.algorithm === algorithm && sameBytes(hit.bytes, key)) return hit.key
  const k = new HmacKey(algorithm, key, 'noble')
  if (hit === undefined && recent.size >= RECENT_KEYS) recent.delete(recent.keys().next().value!)
  recent.set(h, { algorithm, bytes: Uint8Array.from(key), key: k })
  return k
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/**
 * HMAC of the concatenation of `parts` under a key used for this message only (a
 * MESSAGE-INTEGRITY): straight through the addon, or with noble's pads from the recent-key
 * window.
 */
export function hmacOf(algorithm: Algorithm, key: Uint8Array, parts: readonly Uint8Array[], implementation: HmacImplementation = HMAC_IMPLEMENTATION): Buffer {
  if (implementation === 'native') {
    if (!native) throw new RangeError('the native HMAC is not available: the addon did not load')
    return nativeHmac(algorithm, key, parts)
  }
  return recentNobleKey(algorithm, key).mac(...parts)
}

/** HMAC of one message (see hmacOf). */
export function hmac(algorithm: Algorithm, key: Uint8Array, data: Uint8Array, implementation: HmacImplementation = HMAC_IMPLEMENTATION): Buffer {
  return hmacOf(algorithm, key, [data], implementation)
}
