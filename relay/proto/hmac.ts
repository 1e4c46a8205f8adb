/**
 * HMAC (RFC 2104) over SHA-1 or SHA-256 from @noble/hashes (audited, no dependencies), with
 * the key's inner and outer pads hashed once: a key used for many messages (the nonce key,
 * a REST secret, an allocation's long-term key) is kept as the hash states after its pads,
 * and each message clones those states into a scratch HMAC instead of starting over.
 * STUN's MESSAGE-INTEGRITY (RFC 8489 §14.5, §14.6) and the relay's stateless nonces use it.
 *
 * Why not node:crypto: with OpenSSL 3 every `createHmac` fetches the algorithm and builds a
 * context, which cost more per STUN message than the hashing itself (about a quarter of the
 * relay's CPU per allocation, several HMACs per Allocate and Refresh).
 */
import { hmac as nobleHmac, type _HMAC } from '@noble/hashes/hmac.js'
import { sha1 } from '@noble/hashes/legacy.js'
import { sha256 } from '@noble/hashes/sha2.js'

type Algorithm = 'sha1' | 'sha256'
type State = _HMAC<any> // noble types the HMAC by its inner hash class, which it does not export

const HASHES = { sha1, sha256 } as const
/** One scratch state per algorithm: each `mac` overwrites it from the key's own states. */
const scratch: Record<Algorithm, State> = {
  sha1: nobleHmac.create(sha1, new Uint8Array(0)),
  sha256: nobleHmac.create(sha256, new Uint8Array(0)),
}

export class HmacKey {
  readonly #algorithm: Algorithm
  /** The hash states after the inner and the outer pad (never updated: only cloned from). */
  readonly #keyed: State

  constructor(algorithm: Algorithm, key: Uint8Array) {
    this.#algorithm = algorithm
    this.#keyed = nobleHmac.create(HASHES[algorithm], key)
  }

  /** HMAC of the concatenation of `parts` (no copy of them is made). */
  mac(...parts: Uint8Array[]): Buffer {
    const h = this.#keyed._cloneInto(scratch[this.#algorithm])
    for (const part of parts) h.update(part)
    const out = Buffer.allocUnsafe(h.outputLen)
    h.digestInto(out)
    return out
  }
}

/**
 * The pads of recently used keys, found by a hash of the algorithm and the key bytes and
 * confirmed byte by byte (never by object identity, so a reused buffer cannot alias
 * another key). A request's integrity check and its response's signature use the same
 * long-term key moments apart; a small window catches that without growing with the
 * number of allocations.
 */
const RECENT_KEYS = 128
interface Recent { readonly algorithm: Algorithm; readonly bytes: Uint8Array; readonly key: HmacKey }
const recent = new Map<number, Recent>()

export function hmacKey(algorithm: Algorithm, key: Uint8Array): HmacKey {
  // FNV-1a over the key, seeded per algorithm: cheap, and only a hint (the bytes decide).
  let h = algorithm === 'sha1' ? 0x811c9dc5 : 0x050c5d1f
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key[i]!, 0x01000193)
  const hit = recent.get(h)
  if (hit !== undefined && hit.algorithm === algorithm && sameBytes(hit.bytes, key)) return hit.key
  const k = new HmacKey(algorithm, key)
  if (hit === undefined && recent.size >= RECENT_KEYS) recent.delete(recent.keys().next().value!)
  recent.set(h, { algorithm, bytes: Uint8Array.from(key), key: k })
  return k
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** HMAC of one message (the key's pads come from, or go to, the recent-key window). */
export function hmac(algorithm: Algorithm, key: Uint8Array, data: Uint8Array): Buffer {
  return hmacKey(algorithm, key).mac(data)
}
