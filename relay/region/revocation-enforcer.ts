/**
 * Turns revocations into dropped allocations (guarantee 5). A revocation message from
 * any watched region drops the matching allocations at once; when a subscriber
 * reconnects (messages may have been missed) or a meeting's policy is invalidated, the
 * allocations of the affected meetings are re-checked against a fresh snapshot, so a
 * revocation stored while this relay was disconnected is still enforced.
 */
import type { Histogram } from 'prom-client'
import { isRevokedIn } from '../../state/policy.js'
import type { PolicyCache, ReceivedRevocation } from '../../state/policy-cache.js'
import { ALL_PARTICIPANTS } from '../../state/revocation.js'
import { homeRegionOf } from '../../state/meeting-id.js'
import type { TurnServer } from '../server/index.js'

export interface RevocationEnforcerOptions {
  readonly cache: PolicyCache
  readonly server: TurnServer
  readonly revoke: (target: { meetingId: string; participantId?: string }) => number
  readonly latency?: Histogram
  readonly onError?: (err: unknown) => void
}

export function enforceRevocations(o: RevocationEnforcerOptions): () => void {
  const onRevoked = (m: ReceivedRevocation): void => {
    const dropped = o.revoke(m.participantId === ALL_PARTICIPANTS ? { meetingId: m.meetingId } : { meetingId: m.meetingId, participantId: m.participantId })
    // Latency from publish to dropped, measured only where something was dropped here.
    if (dropped > 0) o.latency?.observe(Math.max(0, Date.now() - m.at) / 1000)
  }

  const recheck = async (meetingIds: Iterable<string>): Promise<void> => {
    for (const meetingId of new Set(meetingIds)) {
      let snapshot
      try {
        snapshot = await o.cache.get(meetingId)
      } catch (err) {
        // Unverifiable: existing allocations keep running on last-known policy.
        o.onError?.(err)
        continue
      }
      if (snapshot === undefined || snapshot.ended || snapshot.revokedAll) {
        o.revoke({ meetingId })
        continue
      }
      for (const a of [...o.server.table.values()]) {
        if (a.identity.meetingId === meetingId && isRevokedIn(snapshot, a.identity.participantId)) {
          o.revoke({ meetingId, participantId: a.identity.participantId! })
        }
      }
    }
  }

  const meetingsOf = (region: string): string[] =>
    [...o.server.table.values()].map((a) => a.identity.meetingId).filter((id): id is string => id !== undefined && homeRegionOf(id) === region)

  const onResync = (region: string): void => void recheck(meetingsOf(region))
  // Only meetings this relay carries: re-checking every meeting of the region on each of
  // its changes read (and cached) a policy snapshot per meeting on every relay, which grew
  // each relay's memory with the region's meeting count (issue 9 item 15).
  const onInvalidated = (m: { meetingId: string }): void => {
    if (o.server.table.meetingCount(m.meetingId) > 0) void recheck([m.meetingId])
  }

  o.cache.on('revoked', onRevoked)
  o.cache.on('resync', onResync)
  o.cache.on('invalidated', onInvalidated)
  return () => {
    o.cache.off('revoked', onRevoked)
    o.cache.off('resync', onResync)
    o.cache.off('invalidated', onInvalidated)
  }
}
