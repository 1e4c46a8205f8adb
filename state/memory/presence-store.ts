/** Presence leases in process memory, with the same rules as the Redis store (see state/presence.ts). */
import { decodeLease, encodeLease, type PresenceLease, type PresenceStore } from '../presence.js'
import { guarded, type Guard } from '../redis/guard.js'
import type { MemoryRegion } from './backend.js'

export function createMemoryPresenceStore(mem: MemoryRegion, guard: Guard): PresenceStore {
  const leases = mem.presence
  return {
    region: mem.region,
    hold: (lease, leaseMs) => guarded(guard, async () => {
      leases.set(encodeLease(lease), mem.now() + leaseMs)
    }),
    renew: (held, leaseMs) => guarded(guard, async () => {
      const until = mem.now() + leaseMs
      for (const l of held) {
        const member = encodeLease(l)
        if (leases.has(member)) leases.set(member, until)
      }
    }),
    release: (lease) => guarded(guard, async () => {
      leases.delete(encodeLease(lease))
    }),
    claimExpired: (claimMs, limit) => guarded(guard, async () => {
      const at = mem.now()
      const due = [...leases].filter(([, end]) => end <= at).sort((a, b) => a[1] - b[1]).slice(0, limit)
      const out: PresenceLease[] = []
      for (const [member] of due) {
        leases.set(member, at + claimMs)
        const lease = decodeLease(member)
        if (lease) out.push(lease)
      }
      return out
    }),
  }
}
