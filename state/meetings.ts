/**
 * Meeting records and participants as stored in the meeting's home region. The
 * control plane owns the semantics (who may join, what a host may do); this layer
 * makes each change atomic and keeps the sets relays consult (admitted endpoints,
 * present hosts, banned, revoked) in step with the participant changes that imply them.
 */
import type { AttendeePolicyConfig, MeetingSecuritySettings, ResidencyModeName } from '../config/schema.js'

export type MeetingStatus = 'active' | 'locked' | 'ended'

export interface MeetingRecord {
  readonly id: string
  readonly tenantId: string
  /** Always the region named by the id (state/meeting-id.ts). */
  readonly homeRegion: string
  readonly residencyMode: ResidencyModeName
  /** Regions whose relays may carry the meeting's media (guarantee 1). */
  readonly allowedRegions: readonly string[]
  readonly attendeePolicy: AttendeePolicyConfig
  readonly settings: MeetingSecuritySettings
  readonly status: MeetingStatus
  readonly createdAt: number
  readonly endedAt?: number
  /** Bumped by every change; updates compare it (optimistic concurrency). */
  readonly version: number
  /** Control-plane fields this layer stores without interpreting (passcode hash, title, ...). */
  readonly data?: Readonly<Record<string, unknown>>
}

export type NewMeeting = Omit<MeetingRecord, 'homeRegion' | 'status' | 'endedAt' | 'version'> & {
  readonly status?: 'active' | 'locked'
}

export type MeetingChange = Partial<Pick<MeetingRecord, 'residencyMode' | 'allowedRegions' | 'attendeePolicy' | 'settings' | 'data'>> & {
  readonly status?: 'active' | 'locked'
}

export type ParticipantRole = 'host' | 'co-host' | 'attendee'
export type ParticipantStatus = 'waiting' | 'admitted' | 'left' | 'removed'

export interface Participant {
  readonly id: string
  readonly identity: string
  readonly role: ParticipantRole
  readonly status: ParticipantStatus
  /** Country of the observed address at join, when geo placed it. */
  readonly country?: string
  /** Observed IP addresses (usually one); admitted ones are what relays may send to (guarantee 2). */
  readonly addresses: readonly string[]
  /** Control-plane node holding the participant's socket. */
  readonly node: string
  readonly joinedAt: number
  /**
   * Capabilities a host granted (true) or revoked (false) during the meeting, by name.
   * Stored with the participant so a reconnect keeps them (opaque to this layer).
   */
  readonly grants?: Readonly<Record<string, boolean>>
  /**
   * The signaling session (socket) holding the participant: a newer socket of the same
   * participant replaces it, and only the holder's close makes the participant leave.
   */
  readonly session?: string
}

/** Why a change was not applied; expected outcomes, not errors. */
export type MeetingRefusal = 'not_found' | 'version_conflict' | 'ended' | 'banned' | 'exists' | 'unknown_participant' | 'full'

export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly refusal: MeetingRefusal }

export interface RevokeOption {
  /** Also revoke the participant's credentials on every relay, stored this long (ms). */
  readonly revokeTtlMs?: number
}

export interface ParticipantWriteOptions extends RevokeOption {
  /** Let a banned participant wait or be admitted (meeting allows rejoin after removal). */
  readonly allowBanned?: boolean
  /** With status 'removed': add to the banned set. */
  readonly ban?: boolean
  /** When admitting: refuse ('full') if this many are admitted already. Checked atomically. */
  readonly capacity?: number
  /** How many participants who left stay listed (the newest); default DEFAULT_DEPARTED_KEPT, 0 keeps all. */
  readonly departedKept?: number
  /** With leave: only if this session still holds the participant ('unknown_participant' when a newer one does). */
  readonly session?: string
}

/**
 * Participants who left stay listed up to this many per meeting; older ones are pruned
 * (their admissions, leaves and countries stay in the audit stream, which the residency
 * report reads), so a meeting's participant state is bounded by who is there now.
 */
export const DEFAULT_DEPARTED_KEPT = 200

/** What admitting one participant depends on, read in one atomic step. */
export interface AdmissionView {
  readonly meeting: MeetingRecord
  /** The participant's own entry, when it was here before (and not yet pruned from the history). */
  readonly previous?: Participant
  /** Admitted participants (this one included, when it is admitted). */
  readonly admittedCount: number
  /** Admitted hosts and co-hosts (this one included, when it is one of them). */
  readonly hostCount: number
}

export interface JoinWrite {
  readonly policyVersion: number
  /** Admitted participants right after the write (this one included when admitted), in join order. */
  readonly admitted: Participant[]
}

export interface LeaveWrite {
  readonly policyVersion: number
  /** The status it left from. */
  readonly previous: 'waiting' | 'admitted'
  /** The meeting record's version at the time (to reuse a record read before, or not). */
  readonly meetingVersion: number
}

export interface EndOptions {
  /** How long the meeting-wide revocation is stored: the longest credential lifetime (ms). */
  readonly revokeTtlMs: number
  /** Put all keys of the ended meeting on this TTL (ms); 0 or absent keeps them. */
  readonly retentionMs?: number
}

export interface MeetingStore {
  readonly region: string
  create(meeting: NewMeeting): Promise<Outcome<MeetingRecord>>
  get(meetingId: string): Promise<MeetingRecord | undefined>
  /** Apply `change` if the stored version is still `expectedVersion`. */
  update(meetingId: string, expectedVersion: number, change: MeetingChange): Promise<Outcome<MeetingRecord>>
  /** End for everyone: status ended, every credential of the meeting revoked and published. */
  end(meetingId: string, options: EndOptions): Promise<Outcome<MeetingRecord>>

  /** Create or replace a participant; returns the new policy version. */
  putParticipant(meetingId: string, participant: Participant, options?: ParticipantWriteOptions): Promise<Outcome<number>>
  /** Change only the status (admit, leave, remove); returns the new policy version. */
  setParticipantStatus(meetingId: string, participantId: string, status: ParticipantStatus, options?: ParticipantWriteOptions): Promise<Outcome<number>>
  getParticipant(meetingId: string, participantId: string): Promise<Participant | undefined>
  /** Everyone waiting, admitted or removed, and the newest `departedKept` who left, in join order. */
  listParticipants(meetingId: string): Promise<Participant[]>

  /** The meeting and what admitting `participantId` depends on (one atomic read); undefined: no meeting. */
  admissionView(meetingId: string, participantId: string): Promise<AdmissionView | undefined>
  /** `putParticipant`, answering with the admitted participants after the write (same atomic step). */
  joinParticipant(meetingId: string, participant: Participant, options?: ParticipantWriteOptions): Promise<Outcome<JoinWrite>>
  /** Status 'left' for a waiting or admitted participant; 'unknown_participant' when it is neither. */
  leaveParticipant(meetingId: string, participantId: string, options?: ParticipantWriteOptions): Promise<Outcome<LeaveWrite>>
  /** Only the admitted participants, in join order (never reads the history). */
  listAdmitted(meetingId: string): Promise<Participant[]>
  /** Record a host's grant (true) or revoke (false) of a capability; 'unknown_participant' for none or a removed one. */
  setGrant(meetingId: string, participantId: string, capability: string, grant: boolean): Promise<Outcome<Participant>>

  isBanned(meetingId: string, participantId: string): Promise<boolean>
  /** How many participants are admitted now. */
  admittedCount(meetingId: string): Promise<number>
  /** Is an admitted host or co-host in the meeting (join-before-host)? */
  hostPresent(meetingId: string): Promise<boolean>
}

export const REFUSAL_BY_CODE: Readonly<Record<number, MeetingRefusal>> = {
  [-1]: 'not_found',
  [-2]: 'version_conflict',
  [-3]: 'ended',
  [-4]: 'banned',
  [-5]: 'exists',
  [-6]: 'unknown_participant',
  [-7]: 'full',
}
