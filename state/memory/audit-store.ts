/**
 * The audit stream in process memory: ids like Redis stream ids, bounded length. Every
 * append also goes to the region's decision feed, as in the Redis store.
 */
import type { KeyBuilder } from '../keys.js'
import { DEFAULT_AUDIT_MAX_LENGTH, type AuditRecord, type AuditStore } from '../audit.js'
import { compareStreamIds, DEFAULT_FEED_MAX_LENGTH } from '../decision-feed.js'
import { guarded, type Guard } from '../redis/guard.js'
import type { MemoryRegion } from './backend.js'
import { appendDecision } from './decision-feed.js'

export function createMemoryAuditStore(mem: MemoryRegion, keys: KeyBuilder, guard: Guard, maxLength = DEFAULT_AUDIT_MAX_LENGTH, feedMaxLength = DEFAULT_FEED_MAX_LENGTH): AuditStore {
  const streamOf = (meetingId: string) => {
    keys.meeting(meetingId) // same home-region check as the Redis keys
    return mem.audit(meetingId)
  }
  return {
    region: mem.region,
    append: (meetingId, event) =>
      guarded(guard, async () => {
        const s = streamOf(meetingId)
        const ms = Math.max(mem.now(), s.lastMs)
        s.seq = ms === s.lastMs ? s.seq + 1 : 0
        s.lastMs = ms
        const id = `${ms}-${s.seq}`
        s.entries.push(structuredClone({ ...event, id }) as AuditRecord)
        if (s.entries.length > maxLength) s.entries.splice(0, s.entries.length - maxLength)
        appendDecision(mem, meetingId, event, feedMaxLength)
        return id
      }),
    read: (meetingId, options = {}) =>
      guarded(guard, async () => {
        const s = streamOf(meetingId)
        let out = s.entries
        if (options.after !== undefined) out = out.filter((r) => compareStreamIds(r.id, options.after!) > 0)
        if (options.count !== undefined) out = out.slice(0, options.count)
        return structuredClone(out)
      }),
  }
}
