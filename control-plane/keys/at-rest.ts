/**
 * Media keys at rest in the home region's Redis: AES-256-GCM (NIST SP 800-38D) under the
 * region's key-encryption key (KEK), 96-bit random IV, 128-bit tag.
 *
 * AAD = "sovereign.media-key.v1" | meeting id | key version, taken from what the caller
 * expects, not from the stored blob: a blob copied under another meeting's or version's
 * Redis key fails to open instead of handing out the wrong key.
 *
 * KEKs carry an id so they can rotate by overlap: new keys are sealed under the first KEK,
 * any listed KEK opens.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'

import { sovereignError } from '../errors.js'
import { base64url } from 'jose'
import type { MediaKey } from './media-key.js'

export interface RegionKek {
  readonly id: string
  /** 32 bytes. */
  readonly key: Uint8Array
}

/** JSON-safe, what the state layer stores. */
export interface StoredMediaKey {
  readonly v: 1
  readonly alg: 'A256GCM'
  readonly kekId: string
  readonly version: number
  readonly iv: string
  readonly ct: string
  readonly tag: string
}

/** Derives a region KEK from an operator secret (HKDF-SHA256, RFC 5869), so the config only holds a secret reference. */
export function deriveRegionKek(id: string, secret: string, regionId: string): RegionKek {
  if (secret.length < 16) throw new RangeError('a KEK secret needs at least 16 characters')
  const key = hkdfSync('sha256', secret, 'sovereign.kek.v1', `region:${regionId}`, 32)
  return { id, key: new Uint8Array(key) }
}

const aad = (meetingId: string, version: number) => Buffer.from(`sovereign.media-key.v1|${meetingId}|${version}`, 'utf8')

export function sealAtRest(mediaKey: MediaKey, kek: RegionKek): StoredMediaKey {
  if (kek.key.length !== 32) throw new RangeError('a KEK is 32 bytes')
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', kek.key, iv)
  cipher.setAAD(aad(mediaKey.meetingId, mediaKey.version))
  const ct = Buffer.concat([cipher.update(mediaKey.key), cipher.final()])
  return { v: 1, alg: 'A256GCM', kekId: kek.id, version: mediaKey.version, iv: base64url.encode(iv), ct: base64url.encode(ct), tag: base64url.encode(cipher.getAuthTag()) }
}

/** Opens a stored key expected to belong to `meetingId`; throws SR_KEY_UNAVAILABLE on any mismatch. */
export function openAtRest(stored: StoredMediaKey, meetingId: string, keks: readonly RegionKek[]): MediaKey {
  const kek = keks.find((k) => k.id === stored.kekId)
  if (!kek) throw sovereignError('SR_KEY_UNAVAILABLE', `no KEK ${stored.kekId}`)
  try {
    const decipher = createDecipheriv('aes-256-gcm', kek.key, base64url.decode(stored.iv))
    decipher.setAAD(aad(meetingId, stored.version))
    decipher.setAuthTag(base64url.decode(stored.tag))
    const key = Buffer.concat([decipher.update(base64url.decode(stored.ct)), decipher.final()])
    return { meetingId, version: stored.version, key: new Uint8Array(key) }
  } catch {
    // GCM tag failure: wrong KEK, tampered blob, or a blob of another meeting/version.
    throw sovereignError('SR_KEY_UNAVAILABLE', 'authentication failed')
  }
}
