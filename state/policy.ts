/**
 * What a relay needs to decide about one meeting, read in one atomic round trip from
 * the meeting's home region: allowed region set, residency mode, attendee policy,
 * admitted endpoint addresses, revoked participants, status. `version` grows with
 * every change, so a cached snapshot older than an invalidation is detectably stale.
 */
import type { AttendeePolicyConfig, ResidencyModeName } from '../config/schema.js'
import type { MeetingStatus } from './meetings.js'

export interface PolicySnapshot {
  readonly meetingId: string
  readonly homeRegion: string
  readonly tenantId: string
  /** Policy version: compare with invalidation messages. */
  readonly version: number
  /** 'ended' is the one sign of an ended meeting (geo/policy/liveness.ts reads it). */
  readonly status: MeetingStatus
  readonly residencyMode: ResidencyModeName
  readonly allowedRegions: readonly string[]
  readonly attendeePolicy: AttendeePolicyConfig
  readonly admittedEndpoints: ReadonlySet<string>
  /** Participants whose revocation is still in force (not yet expired). */
  readonly revokedParticipants: ReadonlySet<string>
  /** The whole meeting is revoked ('*'), as after end. */
  readonly revokedAll: boolean
  /** When it was read (reader's clock). */
  readonly readAt: number
}

export interface PolicySource {
  readonly region: string
  /** undefined: no such meeting (deny with 'meeting_unknown'). Rejects with StateUnavailableError when unverifiable. */
  snapshot(meetingId: string): Promise<PolicySnapshot | undefined>
}

/** A policy invalidation message: the meeting's policy is now at least at `version`. */
export interface PolicyInvalidation {
  readonly meetingId: string
  readonly version: number
}
