/**
 * The ICE servers handed to an admitted participant: one entry per relay chosen, each with
 * a meeting-scoped TURN REST credential signed with the secret of that relay's region
 * (guarantee 1: only that region's relays can verify it). Pure but for the clock.
 */
import type { NetworkConfig } from '../../config/network-config.js'
import { mintTurnCredential } from '../../relay/auth/credentials.js'
import type { LiveRelay } from '../../state/fleet.js'
import type { IceServerShape } from '../protocol/server-messages.js'

/** URLs per ICE server at most (what the protocol's schema accepts). */
const MAX_URLS = 8

export interface IceServersInput {
  readonly config: NetworkConfig
  readonly relays: readonly LiveRelay[]
  readonly meetingId: string
  readonly participantId: string
  readonly now: () => number
}

export function iceServersFor({ config, relays, meetingId, participantId, now }: IceServersInput): IceServerShape[] {
  const iceServers: IceServerShape[] = []
  for (const relay of relays) {
    // A region without a secret has no relay that could verify a credential: none is handed out.
    const secret = config.regionById(relay.region)?.relaySecrets[0]?.value
    if (secret === undefined) continue
    // RFC 7065 URIs: UDP first (what ICE prefers), then TCP, then TLS (`turns:`, through firewalls that pass only TLS).
    const urls = [...relay.udp.map((a) => `turn:${a}?transport=udp`), ...relay.tcp.map((a) => `turn:${a}?transport=tcp`), ...(relay.tls ?? []).map((a) => `turns:${a}?transport=tcp`)].slice(0, MAX_URLS)
    if (urls.length === 0) continue
    const credential = mintTurnCredential({ secret, meetingId, participantId, ttlSeconds: config.relay.credentialTtlSeconds, now })
    iceServers.push({ urls, username: credential.username, credential: credential.password, expiresAt: credential.expiresAt })
  }
  return iceServers
}
