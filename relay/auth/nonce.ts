/**
 * Stateless NONCEs for the long-term credential mechanism (RFC 8489 §9.2). A nonce is
 *
 *   "obMatJos2" + base64(24-bit security feature set)      — the RFC 8489 §9.2 nonce cookie
 *   + base64url( issued-at (u32 Unix seconds) ‖ HMAC-SHA256(key, …)[0..12) )
 *
 * The MAC covers a version label, the feature bits, the issue time and, when binding is
 * on, the client's transport address. Any relay process holding the same key checks any
 * nonce without shared state; a nonce older than its lifetime is 'stale' (the server
 * answers 438 with a fresh one), a nonce that does not verify is 'invalid'.
 *
 * The cookie tells RFC 8489 clients which security features the server offers so that a
 * bid-down by an attacker stripping PASSWORD-ALGORITHMS is detectable (§9.2.1). The
 * feature bits are whatever the operator configures; both default to off, which matches a
 * relay that only speaks the MD5 long-term mechanism and plain USERNAME.
 */
import { timingSafeEqual } from 'node:crypto'

import { HmacKey } from '../proto/hmac.js'

export type NonceCheck = 'valid' | 'stale' | 'invalid'

export const NONCE_COOKIE = 'obMatJos2'

export interface SecurityFeatures {
  /** §9.2.1 bit 0: the server supports PASSWORD-ALGORITHMS negotiation. */
  passwordAlgorithms?: boolean
  /** §9.2.1 bit 1: the server supports USERHASH. */
  usernameAnonymity?: boolean
}

export interface NonceOptions {
  /** Server-side keys; the first signs new nonces, any verifies (rotation by overlap). */
  keys: readonly (string | Buffer)[]
  /** How long a nonce stays valid (default 600 s). */
  lifetimeSeconds?: number
  /** Tolerated clock difference between relay processes for nonces "from the future" (default 30 s). */
  maxSkewSeconds?: number
  /** Bind each nonce to the client's transport address (callers then pass it to issue and check). */
  bindToClient?: boolean
  /** Prefix the RFC 8489 nonce cookie (default true). */
  cookie?: boolean
  securityFeatures?: SecurityFeatures
}

const LABEL = Buffer.from('sovereign-relay nonce v1\0')
const MAC_BYTES = 12
const BODY_BYTES = 4 + MAC_BYTES
const BODY_CHARS = Math.ceil((BODY_BYTES * 4) / 3) // unpadded base64url

export class NonceService {
  /** The keys with their HMAC pads hashed once (each nonce is one HMAC under a fixed key). */
  readonly #keys: readonly HmacKey[]
  readonly #lifetime: number
  readonly #skew: number
  readonly #bind: boolean
  readonly #prefix: string
  readonly #features: Buffer

  constructor(opts: NonceOptions) {
    if (opts.keys.length === 0) throw new RangeError('a nonce service needs at least one key')
    const keys = opts.keys.map((k) => (typeof k === 'string' ? Buffer.from(k, 'utf8') : Buffer.from(k)))
    if (keys.some((k) => k.length < 16)) throw new RangeError('nonce keys must be at least 16 bytes')
    this.#keys = keys.map((k) => new HmacKey('sha256', k))
    this.#lifetime = opts.lifetimeSeconds ?? 600
    this.#skew = opts.maxSkewSeconds ?? 30
    this.#bind = opts.bindToClient ?? false
    const bits = (opts.securityFeatures?.passwordAlgorithms ? 0x800000 : 0) | (opts.securityFeatures?.usernameAnonymity ? 0x400000 : 0)
    this.#features = Buffer.from([bits >>> 16, (bits >>> 8) & 0xff, bits & 0xff])
    this.#prefix = opts.cookie === false ? '' : NONCE_COOKIE + this.#features.toString('base64')
  }

  get lifetimeSeconds(): number {
    return this.#lifetime
  }

  /** A fresh nonce; `now` in milliseconds since the epoch. */
  issue(now: number, clientAddress?: string): string {
    const issuedAt = Math.floor(now / 1000) >>> 0
    const body = Buffer.allocUnsafe(BODY_BYTES)
    body.writeUInt32BE(issuedAt, 0)
    this.#mac(this.#keys[0]!, issuedAt, this.#client(clientAddress)).copy(body, 4, 0, MAC_BYTES)
    return this.#prefix + body.toString('base64url')
  }

  check(nonce: string, now: number, clientAddress?: string): NonceCheck {
    if (nonce.length !== this.#prefix.length + BODY_CHARS || !nonce.startsWith(this.#prefix)) return 'invalid'
    const body = Buffer.from(nonce.slice(this.#prefix.length), 'base64url')
    // Buffer's base64url decoder skips foreign characters; re-encoding catches a doctored nonce.
    if (body.length !== BODY_BYTES || body.toString('base64url') !== nonce.slice(this.#prefix.length)) return 'invalid'
    const issuedAt = body.readUInt32BE(0)
    const mac = body.subarray(4)
    const client = this.#client(clientAddress)
    let genuine = false
    for (const key of this.#keys) {
      if (timingSafeEqual(this.#mac(key, issuedAt, client).subarray(0, MAC_BYTES), mac)) genuine = true
    }
    if (!genuine) return 'invalid'
    const age = Math.floor(now / 1000) - issuedAt
    if (age < -this.#skew) return 'invalid'
    return age >= this.#lifetime ? 'stale' : 'valid'
  }

  #client(clientAddress: string | undefined): string {
    if (!this.#bind) return ''
    if (clientAddress === undefined) throw new RangeError('this nonce service binds nonces to a client address; pass one')
    return clientAddress
  }

  #mac(key: HmacKey, issuedAt: number, client: string): Buffer {
    const ts = this.#issuedAtBytes
    ts.writeUInt32BE(issuedAt, 0)
    return key.mac(LABEL, this.#features, ts, Buffer.from(client, 'utf8'))
  }

  /** Scratch for the MAC input: `mac` reads it before returning. */
  readonly #issuedAtBytes = Buffer.alloc(4)
}

/** The security features a nonce advertises, or undefined when it carries no RFC 8489 cookie. */
export function nonceSecurityFeatures(nonce: string): SecurityFeatures | undefined {
  if (!nonce.startsWith(NONCE_COOKIE) || nonce.length < NONCE_COOKIE.length + 4) return undefined
  const bits = Buffer.from(nonce.slice(NONCE_COOKIE.length, NONCE_COOKIE.length + 4), 'base64')
  if (bits.length !== 3) return undefined
  return { passwordAlgorithms: (bits[0]! & 0x80) !== 0, usernameAnonymity: (bits[0]! & 0x40) !== 0 }
}
