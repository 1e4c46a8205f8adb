/**
 * The residency policy of a relay that belongs to a region: the RelayPolicy hook the TURN
 * server consults before Allocate/Refresh and before every CreatePermission/ChannelBind.
 * It enforces, with the meeting's policy read from its HOME region (PolicyCache):
 *
 *   guarantee 1 — a credential's meeting must list this relay's region in its allowed
 *                 set (a foreign region's secret already fails authentication);
 *   guarantee 2 — peers must be relays of the allowed set or admitted endpoints of the
 *                 meeting (after the server's own denied-range check);
 *   guarantee 5 — revoked participants and ended meetings cannot allocate, refresh or
 *                 permit again;
 *   guarantee 6 — the allocating source address's country is checked against the
 *                 meeting's attendee policy.
 *
 * Whatever cannot be verified (Redis unreachable, unknown meeting) is refused: fail
 * closed for new work. Every decision, allowed or denied, goes to the audit sink.
 */
import type { GeoLookup } from '../../geo/geo-result.js'
import { attendeeVerdict } from '../../geo/policy/attendee.js'
import { canonicalAddressSet, permitPeer } from '../../geo/policy/peer.js'
import { allow, deny, type Verdict } from '../../geo/verdict.js'
import { StateError } from '../../state/errors.js'
import { isRevokedIn, type PolicySnapshot } from '../../state/policy.js'
import type { PolicyCache } from '../../state/policy-cache.js'
import type { AllocationContext, PeerContext, RelayPolicy } from '../policy.js'
import type { AuditSink } from './audit-sink.js'
import type { FleetView } from './fleet-view.js'

export interface ResidencyPolicyOptions {
  readonly relayId: string
  readonly region: string
  readonly cache: PolicyCache
  readonly fleet: FleetView
  readonly geo: GeoLookup
  readonly audit: AuditSink
  /** The relay's peer-safety deny list (already applied by the server; asked again so this hook stands alone). */
  readonly isDeniedRange: (ip: string) => boolean
  readonly now?: () => number
}

export class ResidencyPolicy implements RelayPolicy {
  readonly #o: ResidencyPolicyOptions
  readonly #now: () => number
  /** Canonical endpoint sets, memoised per snapshot object (they change only with the snapshot). */
  readonly #endpoints = new WeakMap<PolicySnapshot, ReadonlySet<string>>()

  constructor(o: ResidencyPolicyOptions) {
    this.#o = o
    this.#now = o.now ?? Date.now
  }

  async allocation(ctx: AllocationContext): Promise<Verdict> {
    const verdict = await this.#allocationVerdict(ctx)
    this.#audit(ctx, 'allocation', verdict, [`${ctx.clientAddress}:${ctx.clientPort}`])
    return verdict
  }

  async peer(ctx: PeerContext): Promise<Verdict> {
    const verdict = await this.#peerVerdict(ctx)
    this.#audit(ctx, 'peer', verdict, [ctx.peerAddress])
    return verdict
  }

  /** A peer the server refused itself (peer safety, the TURN hairpin guard): audited like the rest. */
  peerRefused(ctx: PeerContext, verdict: Verdict): void {
    this.#audit(ctx, 'peer', verdict, [ctx.peerAddress])
  }

  async #meeting(ctx: AllocationContext): Promise<PolicySnapshot | Verdict> {
    const { meetingId, participantId } = ctx.identity
    if (meetingId === undefined) return deny('meeting_unknown', 'credential names no meeting')
    let snapshot: PolicySnapshot | undefined
    try {
      snapshot = await this.#o.cache.get(meetingId)
    } catch (err) {
      // A meeting id naming no configured region is no meeting of this network.
      if (err instanceof StateError && err.code === 'ERR_STATE_NOT_HOMED_HERE') return deny('meeting_not_homed_here', meetingId)
      return deny('policy_unavailable', err instanceof Error ? err.message : String(err))
    }
    if (snapshot === undefined) return deny('meeting_unknown', meetingId)
    if (snapshot.ended || snapshot.status === 'ended') return deny('meeting_ended', meetingId)
    if (isRevokedIn(snapshot, participantId)) return deny('participant_revoked', participantId ?? '*')
    if (!snapshot.allowedRegions.includes(this.#o.region)) {
      return deny('region_outside_allowed_set', `relay region ${this.#o.region} not in [${snapshot.allowedRegions.join(', ')}]`)
    }
    return snapshot
  }

  async #allocationVerdict(ctx: AllocationContext): Promise<Verdict> {
    const m = await this.#meeting(ctx)
    if ('allow' in m) return m
    const attendee = attendeeVerdict(m.attendeePolicy, this.#o.geo.lookup(ctx.clientAddress))
    if (!attendee.allow) return attendee
    return allow(this.#o.region === m.homeRegion ? 'home_region' : 'in_jurisdiction', attendee.detail)
  }

  async #peerVerdict(ctx: PeerContext): Promise<Verdict> {
    const m = await this.#meeting(ctx)
    if ('allow' in m) return m
    let endpoints = this.#endpoints.get(m)
    if (!endpoints) this.#endpoints.set(m, (endpoints = canonicalAddressSet(m.admittedEndpoints)))
    return permitPeer({
      peerIp: ctx.peerAddress,
      isDeniedRange: this.#o.isDeniedRange,
      relaysOfAllowedSet: await this.#o.fleet.addresses(m.allowedRegions),
      admittedEndpoints: endpoints,
    })
  }

  #audit(ctx: AllocationContext, kind: string, verdict: Verdict, addresses: string[]): void {
    const { meetingId, participantId } = ctx.identity
    // Only meetings of this network have an audit stream to write to.
    if (meetingId === undefined || verdict.reason === 'meeting_not_homed_here') return
    const place = this.#o.geo.lookup(kind === 'peer' ? addresses[0]! : ctx.clientAddress)
    this.#o.audit.append(meetingId, {
      at: this.#now(),
      actor: this.#o.relayId,
      kind,
      allow: verdict.allow,
      reason: verdict.reason,
      ...(verdict.detail !== undefined ? { detail: verdict.detail } : {}),
      region: this.#o.region,
      relayId: this.#o.relayId,
      ...(participantId !== undefined ? { participantId } : {}),
      addresses,
      ...(place.country !== null ? { countries: [place.country] } : {}),
    })
  }
}
