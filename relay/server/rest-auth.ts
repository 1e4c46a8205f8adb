/**
 * Adapts relay/auth (TURN REST credentials with rotating secrets, stateless HMAC
 * nonces) to the `TurnAuth` the server consumes.
 */
import { CredentialVerifier, NonceService, type TurnSecret } from '../auth/index.js'
import type { TurnAuth } from './authenticate.js'

export interface RestAuthOptions {
  realm: string
  /** Newest first: all verify (rotation by overlap). */
  secrets: readonly TurnSecret[]
  /** Keys of the nonce HMAC; relays of one region share them so any can check any nonce. */
  nonceKeys: readonly (string | Buffer)[]
  nonceLifetimeSeconds?: number
  /** A relay in a region requires `<expiry>:<meetingId>:<participantId>` usernames. */
  requireMeeting: boolean
  maxCredentialTtlSeconds?: number
  now: () => number
}

export function restAuth(o: RestAuthOptions): TurnAuth & { verifier: CredentialVerifier } {
  const verifier = new CredentialVerifier({
    secrets: o.secrets,
    realm: o.realm,
    requireMeeting: o.requireMeeting,
    now: o.now,
    ...(o.maxCredentialTtlSeconds !== undefined ? { maxTtlSeconds: o.maxCredentialTtlSeconds } : {}),
  })
  const nonces = new NonceService({ keys: o.nonceKeys, lifetimeSeconds: o.nonceLifetimeSeconds ?? 600, bindToClient: true })
  return {
    verifier,
    issueNonce: (now, clientAddress) => nonces.issue(now, clientAddress),
    checkNonce: (nonce, now, clientAddress) => nonces.check(nonce, now, clientAddress),
    verify: (msg, username) => {
      const v = verifier.verify(msg, username)
      if (!v.ok) return v
      const { meetingId, participantId } = v.identity
      return { ok: true, key: v.key, identity: { username, meetingId, participantId } }
    },
  }
}
