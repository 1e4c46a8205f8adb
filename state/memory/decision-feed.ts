/**
 * The region's decision feed in process memory, beside the other maps of a MemoryRegion
 * (kept here, keyed by the region object, so the backend needs no field for a view).
 * Ids like Redis stream ids; the bound is exact rather than approximate.
 */
import type { AuditEvent } from '../audit.js'
import { compareStreamIds, DEFAULT_FEED_MAX_LENGTH, type Decision, type DecisionFeed } from '../decision-feed.js'
import { guarded, type Guard } from '../redis/guard.js'
import type { MemoryRegion } from './backend.js'

interface MemoryFeed {
  entries: Decision[]
  lastMs: number
  seq: number
}

const feeds = new WeakMap<MemoryRegion, MemoryFeed>()

function feedOf(mem: MemoryRegion): MemoryFeed {
  let f = feeds.get(mem)
  if (!f) feeds.set(mem, (f = { entries: [], lastMs: 0, seq: 0 }))
  return f
}

/** Appends to the region's feed (the memory audit store calls it on every append). */
export function appendDecision(mem: MemoryRegion, meetingId: string, event: AuditEvent, maxLength = DEFAULT_FEED_MAX_LENGTH): string {
  const f = feedOf(mem)
  const ms = Math.max(mem.now(), f.lastMs)
  f.seq = ms === f.lastMs ? f.seq + 1 : 0
  f.lastMs = ms
  const id = `${ms}-${f.seq}`
  f.entries.push(structuredClone({ ...event, id, meetingId }) as Decision)
  if (f.entries.length > maxLength) f.entries.splice(0, f.entries.length - maxLength)
  return id
}

export function createMemoryDecisionFeed(mem: MemoryRegion, guard: Guard): DecisionFeed {
  return {
    region: mem.region,
    latest: (count) => guarded(guard, async () => structuredClone(count > 0 ? feedOf(mem).entries.slice(-count) : [])),
    after: (afterId, count = 1000) =>
      guarded(guard, async () => structuredClone(feedOf(mem).entries.filter((d) => compareStreamIds(d.id, afterId) > 0).slice(0, count))),
  }
}
