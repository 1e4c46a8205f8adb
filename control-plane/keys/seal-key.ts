/**
 * Delivery of the media key to one admitted participant: HPKE-sealed to the X25519 public
 * key it sent in `join` (RFC 9180 §6.1 SealBase), info bound to meeting, version and
 * participant (see hpke-suite.ts). The output is what `welcome.key` / `key-delivery` carry.
 */
import { sovereignError } from '../errors.js'
import type { SealedKeyMessage } from '../protocol/common.js'
import { base64url } from 'jose'
import { HPKE_SUITE_NAME, hpkeSuite, keyInfo } from './hpke-suite.js'
import type { MediaKey } from './media-key.js'

export async function sealMediaKey(mediaKey: MediaKey, participant: { readonly participantId: string; readonly publicKey: string }): Promise<SealedKeyMessage> {
  let recipientPublicKey: CryptoKey
  try {
    const raw = base64url.decode(participant.publicKey)
    if (raw.length !== 32) throw new RangeError('X25519 public keys are 32 bytes')
    recipientPublicKey = await hpkeSuite.kem.deserializePublicKey(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length) as ArrayBuffer)
  } catch {
    throw sovereignError('SR_PUBLIC_KEY_REQUIRED', 'not a valid X25519 public key')
  }
  const { enc, ct } = await hpkeSuite.seal(
    { recipientPublicKey, info: keyInfo(mediaKey.meetingId, mediaKey.version, participant.participantId) },
    mediaKey.key,
  )
  return { suite: HPKE_SUITE_NAME, enc: base64url.encode(new Uint8Array(enc)), ct: base64url.encode(new Uint8Array(ct)) }
}
