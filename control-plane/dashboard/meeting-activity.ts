/**
 * What a meeting's audit stream says that its record does not: which relays carry whom
 * (a relay's allowed `allocation` for a participant), which relays the control plane
 * handed out (`relay-issued`), and how many refusals there were. Folded record by record
 * (pure), so the dashboard reads each meeting's stream once and then only what is new.
 */
import type { AuditRecord } from '../../state/audit.js'

export interface MeetingActivity {
  /** participantId -> relays that allocated for it. */
  readonly allocated: Map<string, Set<string>>
  /** participantId -> relays the control plane handed it. */
  readonly issued: Map<string, Set<string>>
  refusals: number
  /** Id of the last record folded in (the next read starts after it). */
  cursor?: string
}

export type DecisionTone = 'allow' | 'refusal' | 'revocation'

/** Host actions and ends take access away; they are recorded as denials but are not refusals. */
const REVOCATION_KINDS = new Set(['meeting-ended', 'removal'])

export function toneOf(record: Pick<AuditRecord, 'allow' | 'kind'>): DecisionTone {
  if (record.allow) return 'allow'
  return REVOCATION_KINDS.has(record.kind) ? 'revocation' : 'refusal'
}

export function emptyActivity(): MeetingActivity {
  return { allocated: new Map(), issued: new Map(), refusals: 0 }
}

function add(map: Map<string, Set<string>>, participantId: string, relayId: string): void {
  let set = map.get(participantId)
  if (!set) map.set(participantId, (set = new Set()))
  set.add(relayId)
}

export function foldAudit(activity: MeetingActivity, records: readonly AuditRecord[]): MeetingActivity {
  for (const r of records) {
    activity.cursor = r.id
    if (toneOf(r) === 'refusal') activity.refusals++
    if (!r.allow || r.participantId === undefined || r.relayId === undefined) continue
    if (r.kind === 'allocation') add(activity.allocated, r.participantId, r.relayId)
    else if (r.kind === 'relay-issued') add(activity.issued, r.participantId, r.relayId)
  }
  return activity
}
