/**
 * SHA-1 and SHA-256 (FIPS 180-4) in TypeScript, for the HMACs of the request path
 * (hmac.ts). Both hash 64-byte blocks with the same padding (0x80, zeros, the bit
 * length as a 64-bit big-endian number), so one padding routine serves both; only the
 * compression function and the initial state differ.
 *
 * Why not node:crypto: with OpenSSL 3 every `createHmac` fetches the algorithm and builds
 * a context, which cost more per STUN message than the hashing itself (about a quarter of
 * the relay's CPU per allocation was HMAC set-up). The compression functions have no
 * data-dependent branches or table lookups, so their timing does not depend on the key.
 * test/relay/proto/block-hash.test.ts checks both against node:crypto on random inputs.
 */

export interface BlockHashAlgorithm {
  readonly name: 'sha1' | 'sha256'
  readonly digestBytes: number
  readonly initial: Int32Array
  compress(state: Int32Array, bytes: Uint8Array, offset: number): void
}

const BLOCK = 64

const w80 = new Int32Array(80)

function loadWords(w: Int32Array, b: Uint8Array, o: number): void {
  for (let i = 0; i < 16; i++, o += 4) w[i] = (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!
}

export const SHA1: BlockHashAlgorithm = {
  name: 'sha1',
  digestBytes: 20,
  initial: Int32Array.of(0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476, 0xc3d2e1f0 | 0),
  compress(h, bytes, offset) {
    const w = w80
    loadWords(w, bytes, offset)
    for (let i = 16; i < 80; i++) {
      const x = w[i - 3]! ^ w[i - 8]! ^ w[i - 14]! ^ w[i - 16]!
      w[i] = (x << 1) | (x >>> 31)
    }
    let a = h[0]!, b = h[1]!, c = h[2]!, d = h[3]!, e = h[4]!
    // Four loops of 20 rounds (one per round function) keep the branches out of the rounds.
    for (let i = 0; i < 20; i++) {
      const t = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + 0x5a827999 + w[i]!) | 0
      e = d; d = c; c = (b << 30) | (b >>> 2); b = a; a = t
    }
    for (let i = 20; i < 40; i++) {
      const t = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0x6ed9eba1 + w[i]!) | 0
      e = d; d = c; c = (b << 30) | (b >>> 2); b = a; a = t
    }
    for (let i = 40; i < 60; i++) {
      const t = (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) + e + (0x8f1bbcdc | 0) + w[i]!) | 0
      e = d; d = c; c = (b << 30) | (b >>> 2); b = a; a = t
    }
    for (let i = 60; i < 80; i++) {
      const t = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + (0xca62c1d6 | 0) + w[i]!) | 0
      e = d; d = c; c = (b << 30) | (b >>> 2); b = a; a = t
    }
    h[0] = (h[0]! + a) | 0; h[1] = (h[1]! + b) | 0; h[2] = (h[2]! + c) | 0; h[3] = (h[3]! + d) | 0; h[4] = (h[4]! + e) | 0
  },
}

const K256 = Int32Array.of(
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
)

export const SHA256: BlockHashAlgorithm = {
  name: 'sha256',
  digestBytes: 32,
  initial: Int32Array.of(0x6a09e667, 0xbb67ae85 | 0, 0x3c6ef372, 0xa54ff53a | 0, 0x510e527f, 0x9b05688c | 0, 0x1f83d9ab, 0x5be0cd19),
  compress(h, bytes, offset) {
    const w = w80
    loadWords(w, bytes, offset)
    for (let i = 16; i < 64; i++) {
      const x = w[i - 15]!, y = w[i - 2]!
      const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)
      const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)
      w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0
    }
    let a = h[0]!, b = h[1]!, c = h[2]!, d = h[3]!, e = h[4]!, f = h[5]!, g = h[6]!, hh = h[7]!
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))
      const ch = (e & f) ^ (~e & g)
      const t1 = (hh + S1 + ch + K256[i]! + w[i]!) | 0
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))
      const maj = (a & b) ^ (a & c) ^ (b & c)
      const t2 = (S0 + maj) | 0
      hh = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0
    }
    h[0] = (h[0]! + a) | 0; h[1] = (h[1]! + b) | 0; h[2] = (h[2]! + c) | 0; h[3] = (h[3]! + d) | 0
    h[4] = (h[4]! + e) | 0; h[5] = (h[5]! + f) | 0; h[6] = (h[6]! + g) | 0; h[7] = (h[7]! + hh) | 0
  },
}

const scratchState = new Int32Array(8)
const scratchBlock = new Uint8Array(BLOCK)

/**
 * Hashes `parts` in order, continuing from the state at `from[fromAt…]` (after `prefixBytes` bytes —
 * the initial state and 0 for a plain hash, an HMAC pad's state and 64 for HMAC), and
 * writes the digest into `out` at `at`. It allocates nothing: the state and the partial
 * block are module scratch, which is safe because the call runs to completion.
 */
export function hashInto(alg: BlockHashAlgorithm, from: Int32Array, fromAt: number, prefixBytes: number, parts: readonly Uint8Array[], out: Uint8Array, at: number): void {
  const h = scratchState
  for (let i = 0; i < 8; i++) h[i] = from[fromAt + i] ?? 0
  const b = scratchBlock
  let fill = 0
  let total = prefixBytes
  for (let p = 0; p < parts.length; p++) {
    const data = parts[p]!
    const n = data.length
    total += n
    let i = 0
    if (fill > 0) {
      while (fill < BLOCK && i < n) b[fill++] = data[i++]!
      if (fill < BLOCK) continue
      alg.compress(h, b, 0)
      fill = 0
    }
    for (; i + BLOCK <= n; i += BLOCK) alg.compress(h, data, i)
    while (i < n) b[fill++] = data[i++]!
  }
  b[fill++] = 0x80
  if (fill > BLOCK - 8) {
    b.fill(0, fill)
    alg.compress(h, b, 0)
    fill = 0
  }
  b.fill(0, fill, BLOCK - 8)
  // The length in bits as 64 bits big-endian; messages here are far below 2^53 bits.
  const bits = total * 8
  writeU32(b, BLOCK - 8, Math.floor(bits / 0x100000000))
  writeU32(b, BLOCK - 4, bits >>> 0)
  alg.compress(h, b, 0)
  for (let i = 0; i < alg.digestBytes / 4; i++) writeU32(out, at + i * 4, h[i]!)
}

function writeU32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24
  b[o + 1] = (v >>> 16) & 0xff
  b[o + 2] = (v >>> 8) & 0xff
  b[o + 3] = v & 0xff
}

/** The digest of the concatenation of `parts`. */
export function blockHash(alg: BlockHashAlgorithm, ...parts: Uint8Array[]): Buffer {
  const out = Buffer.allocUnsafe(alg.digestBytes)
  hashInto(alg, alg.initial, 0, 0, parts, out, 0)
  return out
}
