/**
 * Client side of managed key mode: make an X25519 key pair whose public half goes in
 * `join`, and open the sealed media key from `welcome.key` / `key-delivery`. Isomorphic
 * (WebCrypto through @hpke/core); the private key never leaves the participant.
 */
import { base64url } from 'jose'
import { HPKE_SUITE_NAME, MEDIA_KEY_BYTES, hpkeSuite, keyInfo } from '../keys/hpke-suite.js'
import type { SealedKeyMessage } from '../protocol/common.js'

export interface ParticipantKeyPair {
  readonly keyPair: CryptoKeyPair
  /** base64url of the raw 32-byte X25519 public key, as `join.publicKey` wants it. */
  readonly publicKey: string
}

export async function generateParticipantKeyPair(): Promise<ParticipantKeyPair> {
  const keyPair = await hpkeSuite.kem.generateKeyPair()
  const raw = new Uint8Array(await hpkeSuite.kem.serializePublicKey(keyPair.publicKey))
  return { keyPair, publicKey: base64url.encode(raw) }
}

export class KeyOpenError extends Error {
  readonly code = 'SR_KEY_UNAVAILABLE'
}

const buf = (bytes: Uint8Array): ArrayBuffer => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer

/** Opens a sealed media key; fails when it was sealed to someone else or for another meeting/version/participant. */
export async function openMediaKey(
  sealed: SealedKeyMessage,
  context: { readonly keyPair: CryptoKeyPair; readonly meetingId: string; readonly version: number; readonly participantId: string },
): Promise<Uint8Array> {
  if (sealed.suite !== HPKE_SUITE_NAME) throw new KeyOpenError(`unsupported suite ${String(sealed.suite)}`)
  let plain: ArrayBuffer
  try {
    plain = await hpkeSuite.open(
      { recipientKey: context.keyPair, enc: buf(base64url.decode(sealed.enc)), info: keyInfo(context.meetingId, context.version, context.participantId) },
      buf(base64url.decode(sealed.ct)),
    )
  } catch (err) {
    throw new KeyOpenError(`sealed key does not open: ${(err as Error).name}`)
  }
  const key = new Uint8Array(plain)
  if (key.length !== MEDIA_KEY_BYTES) throw new KeyOpenError('opened key has the wrong length')
  return key
}
