/**
 * The region's feed of residency decisions, for operators (the SRE dashboard): every
 * audit entry of every meeting homed in the region, relays' and control planes' alike,
 * in one capped stream. The audit stores append to it inside `AuditStore.append`, so no
 * writer can forget it. It is a view, not the record: the meeting's own audit stream
 * (guarantee 7) is what the residency report reads; the feed keeps only the newest
 * `DEFAULT_FEED_MAX_LENGTH` entries (XADD MAXLEN ~) and lives in the region's own Redis.
 */
import { auditFromFields, auditToFields, type AuditEvent, type AuditRecord } from './audit.js'

/** Entries the feed keeps (approximately, in Redis: MAXLEN ~). */
export const DEFAULT_FEED_MAX_LENGTH = 1000

export interface Decision extends AuditRecord {
  readonly meetingId: string
}

export interface DecisionFeed {
  readonly region: string
  /** The newest `count` decisions, oldest first. */
  latest(count: number): Promise<Decision[]>
  /** Decisions after `afterId` (exclusive), oldest first, at most `count`. */
  after(afterId: string, count?: number): Promise<Decision[]>
}

/** Stream fields of a feed entry: the audit fields plus the meeting. */
export function decisionToFields(meetingId: string, event: AuditEvent): string[] {
  return ['meetingId', meetingId, ...auditToFields(event)]
}

export function decisionFromFields(id: string, fields: readonly string[]): Decision {
  let meetingId = ''
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === 'meetingId') meetingId = fields[i + 1]!
  return { ...auditFromFields(id, fields), meetingId }
}

/** Stream ids (`<ms>-<seq>`) in order. */
export function compareStreamIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number) as [number, number]
  const [bm, bs] = b.split('-').map(Number) as [number, number]
  return am - bm || as - bs
}
