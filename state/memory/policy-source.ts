/** The policy snapshot from process memory. */
import type { KeyBuilder } from '../keys.js'
import type { PolicySource } from '../policy.js'
import { guarded, type Guard } from '../redis/guard.js'
import type { MemoryRegion } from './backend.js'

export function createMemoryPolicySource(mem: MemoryRegion, keys: KeyBuilder, guard: Guard): PolicySource {
  return {
    region: mem.region,
    snapshot: (meetingId) =>
      guarded(guard, async () => {
        keys.meeting(meetingId)
        const m = mem.meeting(meetingId)
        if (!m) return undefined
        const t = mem.now()
        const revokedParticipants = new Set<string>()
        let revokedAll = false
        for (const [id, r] of mem.revoked(meetingId)) {
          if (r.expiresAt <= t) continue
          if (id === '*') revokedAll = true
          else revokedParticipants.add(id)
        }
        return {
          meetingId,
          homeRegion: m.record.homeRegion,
          tenantId: m.record.tenantId,
          version: m.policyVersion,
          status: m.status,
          residencyMode: m.record.residencyMode,
          allowedRegions: [...m.record.allowedRegions],
          attendeePolicy: structuredClone(m.record.attendeePolicy),
          admittedEndpoints: new Set(m.endpoints.keys()),
          revokedParticipants,
          revokedAll,
          readAt: t,
        }
      }),
  }
}
