/**
 * HMAC (RFC 2104) over SHA-1 or SHA-256 (block-hash.ts), with the key's inner and outer
 * pads hashed once: a key used for many messages (the nonce key, an allocation's
 * long-term key) then costs two compressions less per message. STUN's MESSAGE-INTEGRITY
 * (RFC 8489 §14.5, §14.6) and the relay's stateless nonces use it.
 */
import { SHA1, SHA256, blockHash, hashInto, type BlockHashAlgorithm } from './block-hash.js'

const BLOCK = 64

export class HmacKey {
  readonly #alg: BlockHashAlgorithm
  /** The states after the inner pad ([0, 8)) and after the outer pad ([8, 16)), in one array. */
  readonly #pads: Int32Array

  constructor(algorithm: 'sha1' | 'sha256', key: Uint8Array) {
    const alg = algorithm === 'sha1' ? SHA1 : SHA256
    this.#alg = alg
    // RFC 2104 §2: a key longer than the block is hashed first; a shorter one is zero-padded.
    const k = key.length > BLOCK ? blockHash(alg, key) : key
    const pads = new Int32Array(16)
    padState(alg, k, 0x36, pads.subarray(0, 8))
    padState(alg, k, 0x5c, pads.subarray(8, 16))
    this.#pads = pads
  }

  /** HMAC of the concatenation of `parts` (no copy of them is made). */
  mac(...parts: Uint8Array[]): Buffer {
    const alg = this.#alg
    hashInto(alg, this.#pads, 0, BLOCK, parts, innerDigest, 0)
    const out = Buffer.allocUnsafe(alg.digestBytes)
    hashInto(alg, this.#pads, 8, BLOCK, alg === SHA1 ? INNER_SHA1 : INNER_SHA256, out, 0)
    return out
  }
}

const innerDigest = new Uint8Array(32)
const INNER_SHA1 = [innerDigest.subarray(0, 20)]
const INNER_SHA256 = [innerDigest.subarray(0, 32)]
const padScratch = new Uint8Array(BLOCK)

function padState(alg: BlockHashAlgorithm, k: Uint8Array, byte: number, state: Int32Array): void {
  const pad = padScratch
  for (let i = 0; i < BLOCK; i++) pad[i] = (k[i] ?? 0) ^ byte
  state.set(alg.initial)
  alg.compress(state, pad, 0)
  pad.fill(0)
}

/**
 * The pads of recently used keys, found by a hash of the algorithm and the key bytes and
 * confirmed byte by byte (never by object identity, so a reused buffer cannot alias
 * another key). A request's integrity check and its response's signature use the same
 * long-term key moments apart; a small window catches that without growing with the
 * number of allocations.
 */
const RECENT_KEYS = 128
interface Recent { readonly algorithm: 'sha1' | 'sha256'; readonly bytes: Uint8Array; readonly key: HmacKey }
const recent = new Map<number, Recent>()

export function hmacKey(algorithm: 'sha1' | 'sha256', key: Uint8Array): HmacKey {
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
export function hmac(algorithm: 'sha1' | 'sha256', key: Uint8Array, data: Uint8Array): Buffer {
  return hmacKey(algorithm, key).mac(data)
}
