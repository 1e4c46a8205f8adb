/**
 * The residency policy hook of a relay. The TURN server asks it before creating an
 * allocation and before installing a permission or channel binding towards a peer
 * (RFC 8656 leaves both to server policy: §7.2 "the server MAY reject the request for
 * reasons of policy", §9.2 for permissions). Standalone relays use `openPolicy`; the
 * residency issue plugs Redis-backed meeting policy in here. Peer safety (denied
 * address ranges) is NOT this hook's job: the server applies it first, always.
 */
import { allow, type Verdict } from '../geo/verdict.js'
import type { ClientTransport } from './server/five-tuple.js'

/** Who is asking, as parsed from the authenticated TURN username. */
export interface RelayIdentity {
  readonly username: string
  readonly meetingId: string | undefined
  readonly participantId: string | undefined
}

export interface AllocationContext {
  readonly identity: RelayIdentity
  readonly clientAddress: string
  readonly clientPort: number
  readonly transport: ClientTransport
}

export interface PeerContext extends AllocationContext {
  readonly peerAddress: string
  readonly peerPort: number
  /** `send`: a Send indication, refused by the server's own checks (the hook is not asked per packet). */
  readonly via: 'create-permission' | 'channel-bind' | 'send'
}

export interface RelayPolicy {
  allocation(ctx: AllocationContext): Verdict | Promise<Verdict>
  peer(ctx: PeerContext): Verdict | Promise<Verdict>
  /**
   * The server refused a peer before asking `peer` (peer safety, the TURN hairpin guard):
   * the hook records the decision (guarantee 7: refusals are audited too).
   */
  peerRefused?(ctx: PeerContext, verdict: Verdict): void
}

/** A relay without a region: no residency policy applies (peer safety still does). */
export const openPolicy: RelayPolicy = {
  allocation: () => allow('no_residency_policy'),
  peer: () => allow('no_residency_policy'),
}
