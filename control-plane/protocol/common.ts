/**
 * Building blocks shared by client and server messages. Patterns mirror
 * state/meeting-id.ts; they are repeated as schemas so the protocol module stays
 * isomorphic (no node:crypto in a browser bundle).
 */
import { Type, type Static } from '@sinclair/typebox'

import { LIMITS } from './version.js'

export const ParticipantId = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' })
export const MeetingId = Type.String({ pattern: '^[a-z][a-z0-9-]{0,30}[a-z0-9]\\.[0-9a-hjkmnp-tv-z]{26}$' })
export const RegionId = Type.String({ pattern: '^[a-z][a-z0-9-]{0,30}[a-z0-9]$' })

export const ROLES = ['host', 'co-host', 'attendee'] as const
export const Role = Type.Union(ROLES.map((r) => Type.Literal(r)))
export type RoleName = (typeof ROLES)[number]

export const CAPABILITIES = ['screenShare', 'fileTransfer', 'recording'] as const
export const Capability = Type.Union(CAPABILITIES.map((c) => Type.Literal(c)))
export type CapabilityName = (typeof CAPABILITIES)[number]

/** Optional correlation id: the server echoes it as `re` in the error or result it causes. */
export const RequestId = Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.maxRequestIdChars }))

export const DisplayName = Type.String({ minLength: 1, maxLength: LIMITS.maxDisplayNameChars })

/** base64url without padding (RFC 4648 §5). */
export const Base64Url = (maxLength: number) => Type.String({ pattern: '^[A-Za-z0-9_-]*$', maxLength })

/** A 32-byte X25519 public key, base64url: exactly 43 characters. */
export const X25519PublicKey = Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' })

/** HPKE output (RFC 9180 §6.1 single-shot seal): encapsulated key + ciphertext. */
export const SealedKey = Type.Object({
  suite: Type.Literal('X25519-SHA256/HKDF-SHA256/AES-128-GCM'),
  enc: Base64Url(64),
  ct: Base64Url(LIMITS.maxKeyMessageChars),
}, { additionalProperties: false })
export type SealedKeyMessage = Static<typeof SealedKey>

/**
 * What a sender declares about the media it is about to negotiate. The client library
 * always fills it from the tracks it adds; the server refuses `screen` without the right.
 */
export const TrackDeclaration = Type.Object({
  mid: Type.Optional(Type.String({ maxLength: 32 })),
  kind: Type.Union([Type.Literal('audio'), Type.Literal('video'), Type.Literal('screen')]),
}, { additionalProperties: false })
export type TrackDeclarationShape = Static<typeof TrackDeclaration>

export const DataChannelDeclaration = Type.Object({
  label: Type.String({ maxLength: LIMITS.maxLabelChars }),
}, { additionalProperties: false })

export const ParticipantSummary = Type.Object({
  participantId: ParticipantId,
  displayName: DisplayName,
  role: Role,
  capabilities: Type.Array(Capability, { maxItems: 3 }),
}, { additionalProperties: false })
export type ParticipantSummaryShape = Static<typeof ParticipantSummary>
