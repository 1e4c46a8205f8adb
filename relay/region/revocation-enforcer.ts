/**
 * Turns revocations into dropped allocations (guarantee 5). A revocation message from
 * any watched region drops the matching allocations at once; when a subscriber
 * reconnects (messages may have been missed) or a meeting's policy is invalidated, the
 * allocations of the affected meetings are re-checked against a fresh snapshot, so a
 * revocation stored while this relay was disconnected is still enforced.
 *
 * A re-check that cannot read the snapshot is retried until it succeeds: the subscriber
 * often comes back before the command connection is writable ("Stream isn't writeable"),
 * and a re-check that gave up there would leave a missed revocation unenforced for as
 * long as the allocation lives. Retries back off (50 ms doubling to 2 s, jittered) and
 * end once the meeting has no allocation left here; failures are reported at most once
 * per `reportEveryMs` while they last, and recovery once.
 */
import type { Histogram } from 'prom-client'
import { backoff } from '../../state/redis-connection.js'
import { isRevokedIn } from '../../state/policy.js'
import type { PolicyCache, ReceivedRevocation } from '../../state/policy-cache.js'
import { ALL_PARTICIPANTS } from '../../state/revocation.js'
import { homeRegionOf } from '../../state/meeting-id.js'
import type { TurnServer } from '../server/index.js'

export interface RecheckFailure {
  /** Failed re-check passes in a row (1 on the first). */
  readonly attempt: number
  /** Meetings still waiting for a successful re-check. */
  readonly meetings: number
  /** Failures since the previous report that were not reported. */
  readonly unreported: number
  /** Delay before the next pass. */
  readonly retryInMs: number
}

export interface RevocationEnforcerOptions {
  readonly cache: PolicyCache
  readonly server: TurnServer
  readonly revoke: (target: { meetingId: string; participantId?: string }) => number
  readonly latency?: Histogram
  /** A re-check failed (at most once per `reportEveryMs` while failures last). */
  readonly onError?: (err: unknown, failure: RecheckFailure) => void
  /** Re-checks succeed again after `attempts` failed passes. */
  readonly onRecovered?: (attempts: number) => void
  readonly retryBaseMs?: number
  readonly retryMaxMs?: number
  readonly reportEveryMs?: number
  readonly now?: () => number
}

export function enforceRevocations(o: RevocationEnforcerOptions): () => void {
  const now = o.now ?? Date.now
  const retryBaseMs = o.retryBaseMs ?? 50
  const retryMaxMs = o.retryMaxMs ?? 2000
  const reportEveryMs = o.reportEveryMs ?? 30_000

  const onRevoked = (m: ReceivedRevocation): void => {
    const dropped = o.revoke(m.participantId === ALL_PARTICIPANTS ? { meetingId: m.meetingId } : { meetingId: m.meetingId, participantId: m.participantId })
    // Latency from publish to dropped, measured only where something was dropped here.
    if (dropped > 0) o.latency?.observe(Math.max(0, Date.now() - m.at) / 1000)
  }

  /** Re-checks one meeting; not ok when its snapshot could not be read (retry later). */
  const recheckOne = async (meetingId: string): Promise<{ ok: true } | { ok: false; err: unknown }> => {
    let snapshot
    try {
      snapshot = await o.cache.get(meetingId)
    } catch (err) {
      // Unverifiable for now: existing allocations keep running on last-known policy.
      return { ok: false, err }
    }
    if (snapshot === undefined || snapshot.ended || snapshot.revokedAll) {
      o.revoke({ meetingId })
      return { ok: true }
    }
    for (const a of [...o.server.table.values()]) {
      if (a.identity.meetingId === meetingId && isRevokedIn(snapshot, a.identity.participantId)) {
        o.revoke({ meetingId, participantId: a.identity.participantId! })
      }
    }
    return { ok: true }
  }

  const hasAllocations = (meetingId: string): boolean => {
    for (const a of o.server.table.values()) if (a.identity.meetingId === meetingId) return true
    return false
  }

  // Meetings waiting for a re-check; one pass loop at a time works through them.
  const pending = new Set<string>()
  let running = false
  let stopped = false
  let failedPasses = 0
  let lastReportAt = -Infinity
  let unreported = 0
  let wake: (() => void) | undefined
  let timer: NodeJS.Timeout | undefined

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      wake = () => {
        clearTimeout(timer)
        timer = undefined
        wake = undefined
        resolve()
      }
      timer = setTimeout(wake, ms)
      timer.unref()
    })

  const run = async (): Promise<void> => {
    running = true
    try {
      while (!stopped && pending.size > 0) {
        const batch = [...pending]
        pending.clear()
        let firstError: unknown
        let failed = false
        let checked = 0
        for (const meetingId of batch) {
          // A retry with nothing left here to enforce is done.
          if (failedPasses > 0 && !hasAllocations(meetingId)) continue
          const r = await recheckOne(meetingId)
          if (r.ok) {
            checked++
            continue
          }
          if (!failed) firstError = r.err
          failed = true
          pending.add(meetingId)
        }
        if (!failed) {
          // Recovered only if a re-check read again (not when the allocations merely went away).
          if (failedPasses > 0 && checked > 0) o.onRecovered?.(failedPasses)
          failedPasses = 0
          unreported = 0
          lastReportAt = -Infinity
          continue
        }
        failedPasses++
        const retryInMs = backoff(failedPasses, retryBaseMs, retryMaxMs)
        if (now() - lastReportAt >= reportEveryMs) {
          o.onError?.(firstError, { attempt: failedPasses, meetings: pending.size, unreported, retryInMs })
          lastReportAt = now()
          unreported = 0
        } else {
          unreported++
        }
        await sleep(retryInMs)
      }
    } finally {
      running = false
    }
  }

  const recheck = (meetingIds: Iterable<string>): void => {
    if (stopped) return
    for (const id of meetingIds) pending.add(id)
    if (pending.size === 0) return
    // A pass waiting out its backoff starts now: a fresh resync or invalidation is news.
    if (running) wake?.()
    else void run()
  }

  const meetingsOf = (region: string): string[] =>
    [...o.server.table.values()].map((a) => a.identity.meetingId).filter((id): id is string => id !== undefined && homeRegionOf(id) === region)

  const onResync = (region: string): void => recheck(meetingsOf(region))
  // Only meetings this relay carries: re-checking every meeting of the region on each of
  // its changes read (and cached) a policy snapshot per meeting on every relay, which grew
  // each relay's memory with the region's meeting count (issue 9 item 15).
  const onInvalidated = (m: { meetingId: string }): void => {
    if (o.server.table.meetingCount(m.meetingId) > 0) recheck([m.meetingId])
  }

  o.cache.on('revoked', onRevoked)
  o.cache.on('resync', onResync)
  o.cache.on('invalidated', onInvalidated)
  return () => {
    stopped = true
    wake?.()
    o.cache.off('revoked', onRevoked)
    o.cache.off('resync', onResync)
    o.cache.off('invalidated', onInvalidated)
  }
}
