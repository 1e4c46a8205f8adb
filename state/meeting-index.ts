/**
 * The index of a region's meetings, for operators (the SRE dashboard): which meetings
 * are homed here, without scanning keys. It lives in the region's own Redis like the
 * meetings it lists (guarantee 4) and holds ids only; the records stay in the meeting
 * store. Bounded: a running meeting is listed until it ends, an ended one for a
 * retention period after, and the whole index never exceeds `maxEntries` (the entries
 * that would leave soonest go first).
 */

/** How long an ended meeting stays listed. */
export const DEFAULT_INDEX_RETENTION_MS = 60 * 60_000

/** Hard bound on the index: past it the soonest-to-expire entries are dropped. */
export const DEFAULT_INDEX_MAX_ENTRIES = 10_000

export interface MeetingIndexOptions {
  readonly maxEntries?: number
  /** Default retention of ended meetings (ms). */
  readonly retentionMs?: number
}

export interface IndexedMeeting {
  readonly meetingId: string
  /** When the entry leaves the index; absent while the meeting runs. */
  readonly expiresAt?: number
}

export interface MeetingIndex {
  readonly region: string
  /** A meeting homed here was created: listed while it runs. Throws for another region's meeting. */
  add(meetingId: string): Promise<void>
  /** The meeting ended at `endedAt`: listed `retentionMs` longer, then gone. */
  ended(meetingId: string, endedAt: number, retentionMs?: number): Promise<void>
  /** Drop an entry (its record is gone). */
  remove(meetingId: string): Promise<void>
  /** Listed meetings, expired entries pruned: running ones first, then the most recently ended. */
  list(limit?: number): Promise<IndexedMeeting[]>
}

/** Order of `list` (Redis ZREVRANGEBYSCORE's): latest expiry first, running (+inf) before all; ties by id, descending. */
export function compareIndexed(a: IndexedMeeting, b: IndexedMeeting): number {
  const ae = a.expiresAt ?? Number.POSITIVE_INFINITY
  const be = b.expiresAt ?? Number.POSITIVE_INFINITY
  if (ae !== be) return be - ae
  return a.meetingId < b.meetingId ? 1 : a.meetingId > b.meetingId ? -1 : 0
}
