/**
 * Participant tokens of a meeting: minted for a tenant's backend with the tenant's token
 * secret, verified at join against the secret of the tenant the token names and the
 * region's clock skew. The meeting's existence and state are the service's to check.
 */
import type { NetworkConfig, Region, Tenant } from '../../config/network-config.js'
import type { CapabilityName, RoleName } from '../protocol/common.js'
import { DEFAULT_MAX_ISSUED_AT_SKEW_SECONDS, DEFAULT_TOKEN_TTL_SECONDS, mintParticipantToken, verifyParticipantToken, type ParticipantClaims } from '../tokens/participant-token.js'
import { participantIdFor } from './participant-id.js'

export interface MintTokenInput {
  readonly identity: string
  readonly displayName?: string
  readonly role: RoleName
  readonly capabilities?: readonly CapabilityName[]
  readonly ttlSeconds?: number
}

export interface MintedToken {
  readonly token: string
  readonly meetingId: string
  readonly participantId: string
  readonly expiresAt: number
}

export async function mintMeetingToken(meetingId: string, tenant: Tenant, input: MintTokenInput, now: () => number): Promise<MintedToken> {
  const token = await mintParticipantToken({
    tenantId: tenant.id, secret: tenant.tokenSecret, meetingId, identity: input.identity, role: input.role,
    capabilities: input.capabilities ?? [], now,
    ...(input.displayName === undefined ? {} : { displayName: input.displayName }),
    ...(input.ttlSeconds === undefined ? {} : { ttlSeconds: input.ttlSeconds }),
  })
  const expiresAt = Math.floor(now() / 1000) + (input.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS)
  return { token, meetingId, participantId: participantIdFor(meetingId, input.identity), expiresAt }
}

/** The claims of a join's token; rejects with a catalogue error (SR_TOKEN_*) when it is not valid here and now. */
export function verifyJoinToken(token: string, o: { readonly config: NetworkConfig; readonly home: Region | undefined; readonly meetingId?: string; readonly now: () => number }): Promise<ParticipantClaims> {
  return verifyParticipantToken(token, {
    secretFor: (tenantId) => o.config.tenantById(tenantId)?.tokenSecret,
    now: o.now,
    maxIssuedAtSkewSeconds: o.home?.controlPlane.tokenClockSkewSeconds ?? DEFAULT_MAX_ISSUED_AT_SKEW_SECONDS,
    ...(o.meetingId === undefined ? {} : { meetingId: o.meetingId }),
  })
}
