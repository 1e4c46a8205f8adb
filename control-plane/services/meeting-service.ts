/**
 * The meeting service of one region: every operation on a meeting that the HTTP API
 * and the WebSocket signaling share. It owns the semantics (settings, residency
 * decisions, who may do what to a meeting record); state/ makes each change atomic;
 * geo policy (through the ResidencyPolicy port) decides residency.
 *
 * - Only meetings homed in this region are served: anything else throws
 *   SR_REDIRECT_HOME_REGION (guarantee 3) before a key is built (guarantee 4).
 * - Every residency decision goes to the meeting's audit stream here, in its home
 *   region (guarantee 7).
 * - Failures are catalogue errors (control-plane/errors.ts) with stable codes;
 *   expected outcomes of joining (wait, deny) are typed results, not exceptions.
 * - Events (MeetingEventMap) are emitted locally and published on the region's bus;
 *   `listen()` brings in the events of the region's other nodes.
 *
 * Each concept it uses lives in its own file: routing (state/meeting-route.ts), residency
 * (residency-policy.ts over geo/policy), settings (meeting-settings.ts), tokens
 * (meeting-tokens.ts), what admission is told (join-admission.ts), ICE servers
 * (ice-servers.ts), fleet reads (fleet-reads.ts), the record cache (meeting-records.ts),
 * refusals (meeting-refusals.ts) and the region's passcode rules (region-passcodes.ts).
 */
import { EventEmitter } from 'node:events'

import type { NetworkConfig, Region, Tenant } from '../../config/network-config.js'
import type { AttendeePolicyConfig, MeetingSecuritySettings, ResidencyModeName } from '../../config/schema.js'
import type { GeoLookup, GeoResult } from '../../geo/geo-result.js'
import { attendeePolicyProblems } from '../../geo/policy/attendee.js'
import type { Verdict } from '../../geo/verdict.js'
import type { LiveRelay } from '../../state/fleet.js'
import { newMeetingId } from '../../state/meeting-id.js'
import { routeMeeting, type MeetingRoute } from '../../state/meeting-route.js'
import type { MeetingRecord, Participant, ParticipantRole } from '../../state/meetings.js'
import type { PresenceLease } from '../../state/presence.js'
import type { RegionState } from '../../state/region-state.js'
import { ControlPlaneError } from '../control-plane-error.js'
import { isSovereignError, sovereignError } from '../errors.js'
import type { CapabilityName } from '../protocol/common.js'
import type { ErrorCode } from '../protocol/error-codes.js'
import type { IceServerShape, WaitReason } from '../protocol/server-messages.js'
import type { AdmissionRequest } from '../security/admission.js'
import { auditReasonOf } from '../security/audit-reason.js'
import type { ParticipantClaims } from '../tokens/participant-token.js'
import { fleetReads, type LiveRelaysOf } from './fleet-reads.js'
import { admissionMeetingOf, admitWithCounters } from './join-admission.js'
import { seatRefusalCode, takeSeat } from './join-seat.js'
import type { MeetingEvent, MeetingEventMap } from './meeting-events.js'
import { mergeAttendeePolicy, resolveAttendeePolicy, resolveResidencyMode, resolveSettings, updateSettings, type SettingsInput } from './meeting-settings.js'
import { MeetingJournal, type JournalAuditEvent, type JournalEvent } from './meeting-journal.js'
import { MeetingRecords, toMeeting, type Meeting } from './meeting-records.js'
import { isResidencyRefusal, refusalError, residencyRefusal, type ResidencyRefusal } from './meeting-refusals.js'
import { mintMeetingToken, verifyJoinToken, type MintedToken, type MintTokenInput } from './meeting-tokens.js'
import { participantIdFor } from './participant-id.js'
import { issueRelays } from './relay-issuance.js'
import { checkRegionPasscode, generateRegionPasscode, passcodeLimitsOf } from './region-passcodes.js'
import { geoResidencyPolicy, type ResidencyPolicy } from './residency-policy.js'

/** Who is acting: the tenant's backend (HTTP, API key) or a host over signaling. */
export type Actor =
  | { readonly kind: 'tenant'; readonly tenantId: string }
  | { readonly kind: 'participant'; readonly tenantId: string; readonly participantId: string }

export interface CreateMeetingInput extends SettingsInput {
  readonly region?: string
  readonly residencyMode?: ResidencyModeName
  readonly attendeePolicy?: Partial<AttendeePolicyConfig>
  readonly title?: string
}

export interface UpdateMeetingInput extends SettingsInput {
  readonly attendeePolicy?: Partial<AttendeePolicyConfig>
  readonly title?: string
}

export type { Meeting, MintedToken, MintTokenInput, ResidencyRefusal }
export { isResidencyRefusal, residencyRefusal }

export interface JoinRequest {
  readonly token: string
  readonly passcode?: string
  /** The connection's observed address (what geo policy and relays judge). */
  readonly address: string
  /** The meeting of the URL the socket opened, when it names one. */
  readonly meetingId?: string
  /** false: the client sent no public key, so a managed-key meeting refuses it (SR_PUBLIC_KEY_REQUIRED) before anything is stored. */
  readonly hasPublicKey?: boolean
  /**
   * The signaling session (socket) joining: stored as the participant's holder (a newer
   * session replaces an older one) and, with `presenceLeaseMs`, given a presence lease
   * its node renews (state/presence.ts).
   */
  readonly session?: string
  readonly presenceLeaseMs?: number
}

export interface Admission {
  readonly participant: Participant
  readonly meeting: Meeting
  readonly iceServers: readonly IceServerShape[]
  /** The relays behind `iceServers`, in the same order: what failover watches for this participant. */
  readonly relays: ReadonlyArray<{ readonly id: string; readonly region: string }>
  /** Admitted participants, including this one. */
  readonly participants: readonly Participant[]
}

export type JoinResult =
  | ({ readonly outcome: 'admitted'; readonly claims: ParticipantClaims } & Admission)
  | { readonly outcome: 'waiting'; readonly claims: ParticipantClaims; readonly participant: Participant; readonly meeting: Meeting; readonly reason: WaitReason }
  | { readonly outcome: 'denied'; readonly code: ErrorCode; readonly verdict?: Verdict; readonly claims?: ParticipantClaims; readonly retryAfterSeconds?: number }

export interface MeetingServiceOptions {
  readonly region: string
  readonly nodeId: string
  /** The running config (a getter, so a SIGHUP reload is seen by the next call). */
  readonly config: () => NetworkConfig
  readonly state: RegionState
  readonly geo?: GeoLookup
  readonly policy?: ResidencyPolicy
  /** Live relays of any region, reads in flight shared (fleet-reads.ts); default: this region's fleet from `state`, none elsewhere. */
  readonly liveRelays?: LiveRelaysOf
  readonly now?: () => number
  /** Relays handed to one participant. */
  readonly relaysPerParticipant?: number
}

const UNKNOWN_PLACE: GeoResult = Object.freeze({ country: null, source: 'unknown' })

export class MeetingService extends EventEmitter<MeetingEventMap> {
  readonly region: string
  readonly nodeId: string
  readonly #options: MeetingServiceOptions
  readonly #state: RegionState
  readonly #policy: ResidencyPolicy
  readonly #now: () => number
  readonly #journal: MeetingJournal
  #closed = false
  /** The meeting records this node read last, by id: reused when a write reports the same version. */
  readonly #records = new MeetingRecords()
  /** Live relays by region, reads in flight shared (fleet-reads.ts). */
  readonly #liveRelays: LiveRelaysOf

  constructor(options: MeetingServiceOptions) {
    super()
    if (options.state.region !== options.region) throw new TypeError(`state is of region ${options.state.region}, service of ${options.region}`)
    this.region = options.region
    this.nodeId = options.nodeId
    this.#options = options
    this.#state = options.state
    this.#policy = options.policy ?? geoResidencyPolicy
    this.#now = options.now ?? Date.now
    this.#liveRelays = options.liveRelays ?? fleetReads({ region: this.region, own: this.#state.fleet })
    this.#journal = new MeetingJournal({ region: this.region, nodeId: this.nodeId, state: this.#state, now: this.#now, deliver: (event) => this.#emit(event) })
  }

  get config(): NetworkConfig {
    return this.#options.config()
  }

  // ---- residency routing ----------------------------------------------------------

  /** The region a new meeting of this tenant would be homed in; throws a refusal when not allowed. */
  homeRegionFor(tenant: Tenant, requested: string | undefined): Region {
    return this.#homeChoice(tenant, requested).region
  }

  /** The home region and the verdict that allowed it (decided once per create, audited as decided). */
  #homeChoice(tenant: Tenant, requested: string | undefined): { readonly region: Region; readonly verdict: Verdict } {
    const choice = this.#policy.chooseHomeRegion(this.config, tenant, requested)
    if (!choice.verdict.allow || !choice.region) {
      throw residencyRefusal(choice.verdict.reason === 'region_unknown' ? 'SR_REGION_UNKNOWN' : 'SR_REGION_NOT_ALLOWED', choice.verdict)
    }
    return { region: choice.region, verdict: choice.verdict }
  }

  /**
   * Throws SR_REDIRECT_HOME_REGION for another region's meeting, SR_MEETING_NOT_FOUND for
   * a non-id or one naming a region the network does not have (state/meeting-route.ts).
   */
  assertHomedHere(meetingId: string): void {
    const where = this.#routeOf(meetingId)
    if (where.route === 'redirect') throw sovereignError('SR_REDIRECT_HOME_REGION', where.region)
    if (where.route !== 'home') throw sovereignError('SR_MEETING_NOT_FOUND')
  }

  #routeOf(meetingId: string): MeetingRoute {
    const config = this.config
    return routeMeeting(meetingId, { region: this.region, knowsRegion: (r) => config.regionById(r) !== undefined })
  }

  // ---- tenant operations -------------------------------------------------------------

  async create(tenant: Tenant, input: CreateMeetingInput): Promise<Meeting> {
    this.#assertOpen()
    const config = this.config
    const { region: home, verdict: homeVerdict } = this.#homeChoice(tenant, input.region)
    if (home.id !== this.region) throw sovereignError('SR_REDIRECT_HOME_REGION', home.id)
    const mode = resolveResidencyMode(tenant, input.residencyMode)
    const allowed = this.#policy.allowedRegions(config, tenant, home, mode)
    if (!allowed.verdict.allow) throw residencyRefusal('SR_REGION_NOT_ALLOWED', allowed.verdict)
    const attendeePolicy = resolveAttendeePolicy(tenant, input.attendeePolicy)
    checkAttendeePolicy(attendeePolicy)
    this.#checkPasscode(input.passcode)
    const { settings, passcode } = resolveSettings(tenant, input, this.#generatePasscode)
    const id = newMeetingId(this.region)
    const data: Record<string, unknown> = {}
    if (passcode !== undefined) data.passcode = passcode
    if (input.title !== undefined) data.title = input.title
    const outcome = await this.#state.meetings.create({
      id, tenantId: tenant.id, residencyMode: mode, allowedRegions: allowed.regions, attendeePolicy, settings,
      createdAt: this.#now(), data,
    })
    if (!outcome.ok) throw refusalError(outcome.refusal)
    await this.#state.meetingIndex.add(id)
    await this.#audit(id, { kind: 'meeting-created', allow: true, reason: homeVerdict.reason, detail: `home ${home.id} (${home.country}), tenant ${tenant.id}` })
    await this.#audit(id, { kind: 'allowed-regions', allow: true, reason: allowed.verdict.reason, detail: `${mode}: ${allowed.regions.join(', ')}` })
    await this.#publish({ type: 'meeting-created', meetingId: id, tenantId: tenant.id })
    return toMeeting(outcome.value)
  }

  /** The meeting, if it exists and belongs to `tenantId` (else SR_MEETING_NOT_FOUND: no existence leak). */
  async get(meetingId: string, tenantId?: string): Promise<Meeting> {
    this.#assertOpen()
    this.assertHomedHere(meetingId)
    const record = await this.#state.meetings.get(meetingId)
    if (!record || (tenantId !== undefined && record.tenantId !== tenantId)) throw sovereignError('SR_MEETING_NOT_FOUND')
    this.#remember(record)
    return toMeeting(record)
  }

  /**
   * The meeting as this node last read it, kept current by the region's meeting events
   * (updated, locked, unlocked and ended drop it); read when not known. For what is
   * shown to participants (capability summaries), never for admission decisions.
   */
  async recent(meetingId: string): Promise<Meeting> {
    const known = this.#records.get(meetingId)
    return known ? toMeeting(known) : this.get(meetingId)
  }

  /** One participant of a meeting homed here, as stored (the signaling layer's view of a socket's peer). */
  async participant(meetingId: string, participantId: string): Promise<Participant | undefined> {
    this.#assertOpen()
    this.assertHomedHere(meetingId)
    return this.#state.meetings.getParticipant(meetingId, participantId)
  }

  async update(meetingId: string, actor: Actor, input: UpdateMeetingInput): Promise<Meeting> {
    this.#checkPasscode(input.passcode)
    const updated = await this.#change(meetingId, actor, (current) => {
      const { settings, passcode } = updateSettings(current.settings, current.passcode, input, this.#generatePasscode)
      const data: Record<string, unknown> = { ...(current.data ?? {}) }
      delete data.passcode
      if (passcode !== undefined) data.passcode = passcode
      if (input.title !== undefined) data.title = input.title
      const change: { settings: MeetingSecuritySettings; data: Record<string, unknown>; attendeePolicy?: AttendeePolicyConfig } = { settings, data }
      if (input.attendeePolicy !== undefined) {
        const merged = mergeAttendeePolicy(current.attendeePolicy, input.attendeePolicy)
        checkAttendeePolicy(merged)
        change.attendeePolicy = merged
      }
      return change
    })
    if (input.attendeePolicy !== undefined) {
      await this.#audit(meetingId, { kind: 'settings', allow: true, reason: 'no_residency_policy', detail: `${updated.attendeePolicy.mode}: ${updated.attendeePolicy.countries.join(',')}`, ...byOf(actor) })
    }
    await this.#publish({ type: 'meeting-updated', meetingId, settings: updated.settings, version: updated.version, ...byOf(actor) })
    return updated
  }

  async lock(meetingId: string, actor: Actor): Promise<Meeting> {
    const meeting = await this.#change(meetingId, actor, () => ({ status: 'locked' }))
    await this.#audit(meetingId, { kind: 'lock', allow: true, reason: 'home_region', detail: 'locked', ...byOf(actor) })
    await this.#publish({ type: 'meeting-locked', meetingId, ...byOf(actor) })
    return meeting
  }

  async unlock(meetingId: string, actor: Actor): Promise<Meeting> {
    const meeting = await this.#change(meetingId, actor, () => ({ status: 'active' }))
    await this.#audit(meetingId, { kind: 'unlock', allow: true, reason: 'home_region', detail: 'unlocked', ...byOf(actor) })
    await this.#publish({ type: 'meeting-unlocked', meetingId, ...byOf(actor) })
    return meeting
  }

  /**
   * Ends the meeting for everyone: status ended, every credential of the meeting revoked
   * and the revocation published for the region's relays (one script, state/), then the
   * event that closes every socket. Ending an ended meeting returns it unchanged.
   */
  async end(meetingId: string, actor: Actor): Promise<Meeting> {
    const current = await this.get(meetingId, actor.tenantId)
    if (current.status === 'ended') return current
    const outcome = await this.#state.meetings.end(meetingId, { revokeTtlMs: this.#revokeTtlMs() })
    if (!outcome.ok) {
      if (outcome.refusal === 'ended') return this.get(meetingId, actor.tenantId)
      throw refusalError(outcome.refusal)
    }
    await this.#state.meetingIndex.ended(meetingId, outcome.value.endedAt ?? this.#now())
    await this.#audit(meetingId, { kind: 'meeting-ended', allow: false, reason: 'meeting_ended', detail: 'every credential of the meeting revoked', ...byOf(actor) })
    await this.#publish({ type: 'meeting-ended', meetingId, ...byOf(actor) })
    return toMeeting(outcome.value)
  }

  async participants(meetingId: string, tenantId?: string): Promise<Participant[]> {
    await this.get(meetingId, tenantId)
    return this.#state.meetings.listParticipants(meetingId)
  }

  /**
   * Removes a participant: status removed, its credentials revoked on every relay of the
   * region (stored and published by state/), banned unless the meeting allows rejoining.
   */
  async remove(meetingId: string, participantId: string, actor: Actor): Promise<{ readonly participant: Participant; readonly banned: boolean }> {
    const meeting = await this.get(meetingId, actor.tenantId)
    if (actor.kind === 'participant' && actor.participantId === participantId) throw sovereignError('SR_TARGET_IS_SELF')
    const before = await this.#state.meetings.getParticipant(meetingId, participantId)
    if (!before) throw sovereignError('SR_UNKNOWN_PARTICIPANT')
    const banned = !meeting.settings.allowRejoinAfterRemoval
    const outcome = await this.#state.meetings.setParticipantStatus(meetingId, participantId, 'removed', { ban: banned, revokeTtlMs: this.#revokeTtlMs() })
    if (!outcome.ok) throw refusalError(outcome.refusal)
    await this.#audit(meetingId, { kind: 'removal', allow: false, reason: 'participant_revoked', participantId, detail: banned ? 'banned' : 'may rejoin', ...byOf(actor) })
    await this.#publish({ type: 'participant-removed', meetingId, participantId, banned, ...byOf(actor) })
    if (meeting.settings.keyMode === 'managed' && before.status === 'admitted') {
      await this.#publish({ type: 'key-rotation-needed', meetingId, reason: 'participant-removed' })
    }
    return { participant: { ...before, status: 'removed' }, banned }
  }

  /** A participant token for this meeting, signed with the tenant's token secret. */
  async mintToken(meetingId: string, tenant: Tenant, input: MintTokenInput): Promise<MintedToken> {
    const meeting = await this.get(meetingId, tenant.id)
    if (meeting.status === 'ended') throw sovereignError('SR_MEETING_ENDED')
    return mintMeetingToken(meetingId, tenant, input, this.#now)
  }

  // ---- joining (the signaling layer calls these) ------------------------------------

  /**
   * Verifies the token and runs admission (control-plane/security/admission.ts) with the
   * geo verdict on the connection's address. Admitted: the participant's address joins
   * the meeting's endpoint set and it gets ICE servers; waiting: it is recorded as
   * waiting; denied: nothing is stored but the audit entry.
   */
  async join(request: JoinRequest): Promise<JoinResult> {
    this.#assertOpen()
    let claims: ParticipantClaims
    try {
      claims = await verifyJoinToken(request.token, {
        config: this.config, home: this.#home(), now: this.#now,
        ...(request.meetingId === undefined ? {} : { meetingId: request.meetingId }),
      })
    } catch (err) {
      if (isSovereignError(err)) return { outcome: 'denied', code: err.code }
      throw err
    }
    const meetingId = claims.meetingId
    this.assertHomedHere(meetingId)
    const participantId = participantIdFor(meetingId, claims.identity)
    // One atomic read: the record, this participant's earlier entry, and how many are admitted and host (never the whole history).
    const view = await this.#state.meetings.admissionView(meetingId, participantId)
    if (!view || view.meeting.tenantId !== claims.tenantId) return { outcome: 'denied', code: 'SR_MEETING_NOT_FOUND', claims }
    const record = view.meeting
    this.#remember(record)
    // Managed key mode seals the media key to the participant's public key: refused before anything is stored.
    if (request.hasPublicKey === false && record.settings.keyMode === 'managed') return { outcome: 'denied', code: 'SR_PUBLIC_KEY_REQUIRED', claims }
    const meeting = toMeeting(record)
    const previous = view.previous
    const wasAdmitted = previous?.status === 'admitted'
    const where = this.#options.geo?.lookup(request.address) ?? UNKNOWN_PLACE
    const attendee = this.#policy.attendee(record.attendeePolicy, where)
    const admissionMeeting = admissionMeetingOf(meeting, view, claims.identity)
    const admissionRequest: AdmissionRequest = {
      meetingId, identity: claims.identity, role: claims.role, attendee,
      ...(request.passcode === undefined ? {} : { passcode: request.passcode }),
    }
    const { decision, attempt } = await admitWithCounters(this.#state.passcodeAttempts, passcodeLimitsOf(this.#home()), participantId, admissionMeeting, admissionRequest)
    const place = { addresses: [request.address], ...(where.country ? { countries: [where.country] } : {}) }
    if (decision.outcome === 'deny') {
      await this.#audit(meetingId, { kind: 'admission', allow: false, reason: auditReasonOf(decision.code, decision.verdict), detail: decision.code, participantId, ...place })
      if (decision.verdict) await this.#publish({ type: 'refused', meetingId, reason: decision.verdict.reason, kind: 'admission' })
      if (attempt?.ok === false) return { outcome: 'denied', code: decision.code, claims, retryAfterSeconds: Math.ceil(attempt.retryAfterMs / 1000) }
      return decision.verdict ? { outcome: 'denied', code: decision.code, verdict: decision.verdict, claims } : { outcome: 'denied', code: decision.code, claims }
    }
    const participant: Participant = {
      id: participantId, identity: claims.identity, role: claims.role, status: decision.outcome === 'admit' ? 'admitted' : 'waiting',
      addresses: [request.address], node: this.nodeId, joinedAt: this.#now(), ...(where.country ? { country: where.country } : {}),
      // A host's grants and revokes outlive the socket: a reconnect keeps them.
      ...(previous?.grants === undefined ? {} : { grants: previous.grants }),
      ...(request.session === undefined ? {} : { session: request.session }),
    }
    // The relays are read while the participant is written: the welcome needs both, neither needs the other.
    const relays = decision.outcome === 'admit' ? this.#relaysOf(meeting) : undefined
    relays?.catch(() => undefined) // awaited below; a refused write must not leave it unhandled
    const put = await takeSeat(this.#state, {
      meetingId, participant, allowBanned: record.settings.allowRejoinAfterRemoval, capacity: record.settings.capacity,
      ...(request.session === undefined ? {} : { session: request.session }),
      ...(request.presenceLeaseMs === undefined ? {} : { leaseMs: request.presenceLeaseMs }),
    })
    if (!put.ok) {
      const code = seatRefusalCode(put.refusal)
      await this.#audit(meetingId, { kind: 'admission', allow: false, reason: auditReasonOf(code), detail: code, participantId, ...place })
      return { outcome: 'denied', code, claims }
    }
    const identity = {
      identity: participant.identity, ...(participant.grants === undefined ? {} : { grants: participant.grants }),
      ...(request.session === undefined ? {} : { session: request.session }),
    }
    if (decision.outcome === 'wait') {
      await Promise.all([
        this.#audit(meetingId, { kind: 'waiting', allow: true, reason: decision.reason, detail: attendee.reason, participantId, ...place }),
        this.#publish({ type: 'participant-waiting', meetingId, participantId, role: participant.role, reason: decision.reason, ...identity }),
      ])
      return { outcome: 'waiting', claims, participant, meeting, reason: decision.reason }
    }
    // Sent together, in this order (one connection keeps it): the admission, the event, then each relay issued.
    const [, , admission] = await Promise.all([
      this.#audit(meetingId, { kind: 'admission', allow: true, reason: attendee.reason, detail: 'admitted', participantId, ...place }),
      // Back within its lease (a newer socket, or after its node died): the others already have it, it is no new arrival.
      this.#publish({ type: 'participant-admitted', meetingId, participantId, role: participant.role, ...identity, ...(wasAdmitted ? { reconnected: true } : {}) }),
      relays!.then((live) => this.#admission(meeting, participant, where, live, put.value.admitted)),
    ])
    return { outcome: 'admitted', claims, ...admission }
  }

  /** A host lets a waiting participant in. The node holding its socket then calls `welcome`. */
  async admit(meetingId: string, participantId: string, actor: Actor): Promise<Participant> {
    const meeting = await this.get(meetingId, actor.tenantId)
    const waiting = await this.#state.meetings.getParticipant(meetingId, participantId)
    if (!waiting || waiting.status !== 'waiting') throw sovereignError('SR_NOT_WAITING')
    const outcome = await this.#state.meetings.setParticipantStatus(meetingId, participantId, 'admitted', { allowBanned: meeting.settings.allowRejoinAfterRemoval, capacity: meeting.settings.capacity })
    if (!outcome.ok) throw refusalError(outcome.refusal)
    await this.#audit(meetingId, { kind: 'admission', allow: true, reason: 'admitted_by_host', detail: 'admitted by host', participantId, ...byOf(actor) })
    await this.#publish({ type: 'participant-admitted', meetingId, participantId, role: waiting.role, identity: waiting.identity, ...(waiting.grants === undefined ? {} : { grants: waiting.grants }), ...byOf(actor) })
    return { ...waiting, status: 'admitted' }
  }

  /** A host turns a waiting participant away. */
  async deny(meetingId: string, participantId: string, actor: Actor): Promise<void> {
    await this.get(meetingId, actor.tenantId)
    const waiting = await this.#state.meetings.getParticipant(meetingId, participantId)
    if (!waiting || waiting.status !== 'waiting') throw sovereignError('SR_NOT_WAITING')
    const outcome = await this.#state.meetings.setParticipantStatus(meetingId, participantId, 'left')
    if (!outcome.ok) throw refusalError(outcome.refusal)
    await this.#audit(meetingId, { kind: 'admission', allow: false, reason: 'denied_by_host', detail: 'denied by host', participantId, ...byOf(actor) })
    await this.#publish({ type: 'participant-denied', meetingId, participantId, ...byOf(actor) })
  }

  /** ICE servers, participants and settings for an admitted participant (after `admit`). */
  async welcome(meetingId: string, participantId: string): Promise<Admission> {
    const meeting = await this.get(meetingId)
    const participant = await this.#state.meetings.getParticipant(meetingId, participantId)
    if (!participant || participant.status !== 'admitted') throw sovereignError('SR_UNKNOWN_PARTICIPANT')
    const where = participant.addresses[0] === undefined ? UNKNOWN_PLACE : this.#options.geo?.lookup(participant.addresses[0]) ?? UNKNOWN_PLACE
    const [relays, admitted] = await Promise.all([this.#relaysOf(meeting), this.#state.meetings.listAdmitted(meetingId)])
    return this.#admission(meeting, participant, where, relays, admitted)
  }

  /**
   * Failover (issue 12): a relay handed to this participant left the fleet or drains.
   * Fresh ICE servers are built exactly as at join (allowed set only, live and not
   * draining, new meeting-scoped credentials, each issuance audited), and the failover
   * itself is audited: which relay, why, and where the participant goes (or that no relay
   * of the allowed set is left: then `iceServers` is empty and the caller fails closed).
   */
  async failover(meetingId: string, participantId: string, from: { readonly relayId: string; readonly cause: 'relay-lost' | 'relay-draining' }): Promise<Admission> {
    const admission = await this.welcome(meetingId, participantId)
    const to = admission.relays.map((r) => r.id).join(',')
    await this.#audit(meetingId, {
      kind: 'relay-failover', allow: admission.relays.length > 0, reason: from.cause === 'relay-lost' ? 'relay_lost' : 'relay_draining',
      participantId, relayId: from.relayId, detail: admission.relays.length > 0 ? `to ${to}` : 'no relay of the allowed set left',
    })
    return admission
  }

  /** A host grants or revokes a capability: stored with the participant, so its next socket keeps it. */
  async grant(meetingId: string, participantId: string, capability: CapabilityName, grant: boolean): Promise<Participant> {
    this.#assertOpen()
    this.assertHomedHere(meetingId)
    const outcome = await this.#state.meetings.setGrant(meetingId, participantId, capability, grant)
    if (!outcome.ok) throw refusalError(outcome.refusal)
    return outcome.value
  }

  /**
   * The socket closed: the participant leaves, its address leaves the endpoint set. With
   * `session`, only if that session still holds the participant (a newer socket of the
   * participant keeps it in the meeting), and the session's presence lease goes.
   */
  async leave(meetingId: string, participantId: string, session?: string): Promise<void> {
    this.assertHomedHere(meetingId)
    // One atomic step: only a waiting or admitted participant leaves; leaving twice, after removal, or from a replaced session changes nothing.
    const outcome = await this.#state.meetings.leaveParticipant(meetingId, participantId, session === undefined ? {} : { session })
    // Kept when the leave failed (Redis down): the lease then runs out and another attempt is made by whichever node claims it.
    const release = session === undefined ? undefined : this.#state.presence.release({ meetingId, participantId, session })
    release?.catch(() => undefined) // awaited below, after the leave is announced
    if (!outcome.ok) {
      if (outcome.refusal === 'unknown_participant' || outcome.refusal === 'not_found') return release
      throw refusalError(outcome.refusal)
    }
    const meeting = await this.#recordAt(meetingId, outcome.value.meetingVersion)
    const rotate = meeting?.settings.keyMode === 'managed' && outcome.value.previous === 'admitted' && meeting.status !== 'ended'
    await Promise.all([
      this.#audit(meetingId, { kind: 'leave', allow: true, reason: 'home_region', participantId }),
      this.#publish({ type: 'participant-left', meetingId, participantId, ...(session === undefined ? {} : { session }) }),
      rotate ? this.#publish({ type: 'key-rotation-needed', meetingId, reason: 'participant-left' }) : undefined,
      release,
    ])
  }

  // ---- presence ---------------------------------------------------------------------

  /** The node holding these sessions is alive: their leases run `leaseMs` from now. */
  async renewPresence(leases: readonly PresenceLease[], leaseMs: number): Promise<void> {
    // Even with none to renew it asks the store, so a node holding no socket also notices an outage (PresenceKeeper).
    await this.#state.presence.renew(leases, leaseMs)
  }

  /**
   * Participants whose lease ran out (their node died, or lost Redis for longer than the
   * lease) leave, announced with `participant-left`; a lease whose session no longer holds
   * the participant (it came back on a newer socket, or left) only goes. Each lease is
   * claimed for `claimMs` first, so one node of the region settles it. Returns how many
   * leases were settled.
   */
  async settleExpiredPresence(claimMs: number, limit = 500): Promise<number> {
    const expired = await this.#state.presence.claimExpired(claimMs, limit)
    // One failure does not hold up the others; what failed stays claimed and is claimed again after `claimMs`.
    let failed: unknown
    for (const lease of expired) {
      const settle = this.#routeOf(lease.meetingId).route === 'home'
        ? this.leave(lease.meetingId, lease.participantId, lease.session)
        : this.#state.presence.release(lease)
      await settle.catch((err: unknown) => { failed ??= err })
    }
    if (failed !== undefined) throw failed
    return expired.length
  }

  // ---- events -----------------------------------------------------------------------

  /** Subscribe to the region's bus, re-emitting the other nodes' events here. Idempotent. */
  async listen(onError: (err: Error) => void = () => undefined): Promise<void> {
    this.#assertOpen()
    await this.#journal.listen(onError)
  }

  /** Stops listening; calls after close reject. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#journal.close()
  }

  // ---- internals --------------------------------------------------------------------

  /** Live relays of the meeting's allowed regions (read concurrently). */
  async #relaysOf(meeting: Meeting): Promise<LiveRelay[]> {
    const lists = await Promise.all(meeting.allowedRegions.map((r) => this.#liveRelays(r)))
    return lists.flat()
  }

  /** Relays chosen and credentials minted for an admitted participant (relay-issuance.ts); `participants`: the admitted, itself included. */
  async #admission(meeting: Meeting, participant: Participant, where: GeoResult, relays: readonly LiveRelay[], participants: Participant[]): Promise<Admission> {
    const issued = await issueRelays({
      config: this.config, journal: this.#journal, meeting, participant, where, relays, max: this.#options.relaysPerParticipant ?? 2, now: this.#now,
    })
    return { participant, meeting, iceServers: issued.iceServers, relays: issued.relays, participants }
  }

  async #change(meetingId: string, actor: Actor, make: (current: Meeting) => Parameters<RegionState['meetings']['update']>[2]): Promise<Meeting> {
    for (let attempt = 0; attempt < 8; attempt++) {
      const current = await this.get(meetingId, actor.tenantId)
      if (current.status === 'ended') throw sovereignError('SR_MEETING_ENDED')
      const outcome = await this.#state.meetings.update(meetingId, current.version, make(current))
      if (outcome.ok) return toMeeting(outcome.value)
      if (outcome.refusal !== 'version_conflict') throw refusalError(outcome.refusal)
    }
    throw sovereignError('SR_MEETING_STATE_CONFLICT', 'too many concurrent changes')
  }

  /** This region's entry in the running config. */
  #home(): Region | undefined {
    return this.config.regionById(this.region)
  }

  /** Generated passcodes follow the region's minimum length (region-passcodes.ts). */
  readonly #generatePasscode = (): string => generateRegionPasscode(this.#home())

  #checkPasscode(passcode: string | undefined): void {
    checkRegionPasscode(this.#home(), passcode)
  }

  #revokeTtlMs(): number {
    return this.config.relay.credentialTtlSeconds * 1000
  }

  #audit(meetingId: string, event: JournalAuditEvent): Promise<void> {
    return this.#journal.audit(meetingId, event)
  }

  #publish(event: JournalEvent): Promise<void> {
    return this.#journal.publish(event)
  }

  #emit(event: MeetingEvent): void {
    if (event.type === 'meeting-updated' || event.type === 'meeting-locked' || event.type === 'meeting-unlocked' || event.type === 'meeting-ended') this.#records.forget(event.meetingId)
    ;(this.emit as (type: string, event: MeetingEvent) => boolean)(event.type, event)
  }

  #remember(record: MeetingRecord): void {
    this.#records.remember(record)
  }

  /** The record at `version`: the one read last when it is that version, else a fresh read. */
  #recordAt(meetingId: string, version: number): Promise<MeetingRecord | undefined> {
    return this.#records.at(meetingId, version, (id) => this.#state.meetings.get(id))
  }

  #assertOpen(): void {
    if (this.#closed) throw new ControlPlaneError('ERR_CP_CLOSED', 'MeetingService is closed')
  }
}

function byOf(actor: Actor): { by?: string } {
  return actor.kind === 'participant' ? { by: actor.participantId } : {}
}

/** An attendee policy that does not mean what it seems to say is refused, by the same rule as the config (geo/policy/attendee.ts). */
function checkAttendeePolicy(policy: AttendeePolicyConfig): void {
  const problem = attendeePolicyProblems(policy)[0]
  if (problem !== undefined) throw sovereignError('SR_INVALID_REQUEST', `attendeePolicy.${problem.field}: ${problem.message}`)
}

export type { ParticipantRole }
