/**
 * The in-process state of one region: what Redis would hold, in plain maps, with the
 * same TTL rules against an injected clock. SINGLE-PROCESS ONLY: two processes each
 * get their own, so relays and control planes in different processes never see each
 * other. The local network uses it only when no Redis answers, and says so.
 */
import type { RelayHeartbeat } from '../fleet.js'
import type { AuditRecord } from '../audit.js'
import type { Participant, ParticipantStatus, MeetingRecord } from '../meetings.js'
import { createMemoryPubSub } from './pubsub.js'
import type { PubSub } from '../pubsub.js'
import type { FailureCounter } from '../passcode-attempts.js'

export interface MemoryMeeting {
  record: Omit<MeetingRecord, 'status' | 'version' | 'endedAt'>
  version: number
  status: MeetingRecord['status']
  endedAt?: number
  participants: Map<string, Omit<Participant, 'status'>>
  statuses: Map<string, ParticipantStatus>
  banned: Set<string>
  endpoints: Map<string, number>
  admitted: Set<string>
  hosts: Set<string>
  policyVersion: number
  mediaKey?: { epoch: number; sealed: string; createdAt: number }
  /** Retention after end: the whole meeting disappears at this time. */
  expiresAt?: number
}

export interface MemoryAuditStream {
  entries: AuditRecord[]
  lastMs: number
  seq: number
}

export class MemoryRegion {
  readonly region: string
  readonly now: () => number
  readonly fleet = new Map<string, { expiresAt: number; beat: RelayHeartbeat }>()
  readonly #meetings = new Map<string, MemoryMeeting>()
  /**
   * Revocations and audit streams live apart from the meeting record, as their Redis
   * keys do: a revocation or an audit entry for a meeting without a record is kept.
   */
  readonly #revoked = new Map<string, Map<string, { at: number; expiresAt: number }>>()
  readonly #audit = new Map<string, MemoryAuditStream>()
  /** Wrong-passcode counters by their Redis key name (state/passcode-attempts.ts); expired ones count as none. */
  readonly passcodeFailures = new Map<string, FailureCounter>()
  readonly pubsub: PubSub
  /** Presence leases: `<meetingId> <participantId> <session>` -> when the lease runs out (ms). */
  readonly presence = new Map<string, number>()

  constructor(region: string, now: () => number) {
    this.region = region
    this.now = now
    this.pubsub = createMemoryPubSub()
  }

  meeting(id: string): MemoryMeeting | undefined {
    const m = this.#meetings.get(id)
    if (m?.expiresAt !== undefined && m.expiresAt <= this.now()) {
      this.#meetings.delete(id)
      return undefined
    }
    return m
  }

  setMeeting(id: string, m: MemoryMeeting): void {
    this.#meetings.set(id, m)
  }

  revoked(meetingId: string): Map<string, { at: number; expiresAt: number }> {
    let r = this.#revoked.get(meetingId)
    if (!r) this.#revoked.set(meetingId, (r = new Map()))
    return r
  }

  audit(meetingId: string): MemoryAuditStream {
    let a = this.#audit.get(meetingId)
    if (!a) this.#audit.set(meetingId, (a = { entries: [], lastMs: 0, seq: 0 }))
    return a
  }
}

/** The warning given when a region's memory backend is created (once per region and process). */
export function warnSingleProcess(region: string, warn: (message: string) => void = (m) => process.emitWarning(m, { code: 'SOVEREIGN_MEMORY_STATE' })): void {
  warn(`state of region ${region}: using the in-process memory store; it is SINGLE-PROCESS ONLY (nothing is shared between relays, control planes or nodes in other processes). Configure redis for anything but a one-process demo.`)
}
