/** The meeting index in process memory: meeting id -> when it leaves (+inf while running). */
import type { KeyBuilder } from '../keys.js'
import { compareIndexed, DEFAULT_INDEX_MAX_ENTRIES, DEFAULT_INDEX_RETENTION_MS, type IndexedMeeting, type MeetingIndex, type MeetingIndexOptions } from '../meeting-index.js'
import { guarded, type Guard } from '../redis/guard.js'
import type { MemoryRegion } from './backend.js'

const indexes = new WeakMap<MemoryRegion, Map<string, number>>()

function indexOf(mem: MemoryRegion): Map<string, number> {
  let i = indexes.get(mem)
  if (!i) indexes.set(mem, (i = new Map()))
  return i
}

const entry = (meetingId: string, score: number): IndexedMeeting => (score === Number.POSITIVE_INFINITY ? { meetingId } : { meetingId, expiresAt: score })

export function createMemoryMeetingIndex(mem: MemoryRegion, keys: KeyBuilder, guard: Guard, options: MeetingIndexOptions = {}): MeetingIndex {
  const max = options.maxEntries ?? DEFAULT_INDEX_MAX_ENTRIES
  const homed = (meetingId: string) => void keys.meeting(meetingId)
  const set = (meetingId: string, score: number) => {
    const index = indexOf(mem)
    index.set(meetingId, score)
    if (index.size <= max) return
    // Like ZREMRANGEBYRANK 0 -(max+1): the lowest scores (soonest to leave) go first.
    const sorted = [...index].map(([id, s]) => entry(id, s)).sort(compareIndexed)
    for (const e of sorted.slice(max)) index.delete(e.meetingId)
  }
  return {
    region: mem.region,
    add: (meetingId) => guarded(guard, async () => (homed(meetingId), set(meetingId, Number.POSITIVE_INFINITY))),
    ended: (meetingId, endedAt, retentionMs = options.retentionMs ?? DEFAULT_INDEX_RETENTION_MS) =>
      guarded(guard, async () => (homed(meetingId), set(meetingId, endedAt + retentionMs))),
    remove: (meetingId) => guarded(guard, async () => (homed(meetingId), void indexOf(mem).delete(meetingId))),
    list: (limit = max) =>
      guarded(guard, async () => {
        const index = indexOf(mem)
        const t = mem.now()
        for (const [id, score] of index) if (score <= t) index.delete(id)
        return [...index].map(([id, s]) => entry(id, s)).sort(compareIndexed).slice(0, limit)
      }),
  }
}
