/**
 * The HPKE suite (RFC 9180) managed key mode uses, shared by the sealing server and the
 * opening client: DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / AES-128-GCM, base mode
 * (§5.1.1), single-shot seal/open (§6.1). Isomorphic: @hpke/core runs on WebCrypto.
 *
 * `info` binds meeting id, key version and participant id (§5.1: info is mixed into the
 * key schedule), so a sealed key replayed to another participant, meeting or version does
 * not open. The media key itself is 32 random bytes.
 */
import { Aes128Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core'

export const HPKE_SUITE_NAME = 'X25519-SHA256/HKDF-SHA256/AES-128-GCM' as const
export const MEDIA_KEY_BYTES = 32

export const hpkeSuite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes128Gcm() })

export function keyInfo(meetingId: string, version: number, participantId: string): Uint8Array {
  return new TextEncoder().encode(`sovereign.media-key.v1\u0000${meetingId}\u0000${version}\u0000${participantId}`)
}
