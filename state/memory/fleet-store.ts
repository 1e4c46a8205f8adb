/** The fleet in process memory: same TTL rule as Redis, against the injected clock. */
import { DEFAULT_RELAY_TTL_MS, type FleetStore, type LiveRelay } from '../fleet.js'
import { StateError } from '../errors.js'
import { guarded, type Guard } from '../redis/guard.js'
import type { MemoryRegion } from './backend.js'

export function createMemoryFleetStore(mem: MemoryRegion, guard: Guard): FleetStore {
  return {
    region: mem.region,
    heartbeat: (beat, ttlMs = DEFAULT_RELAY_TTL_MS) =>
      guarded(guard, async () => {
        if (beat.region !== mem.region) throw new StateError('ERR_STATE_COMMAND', `relay ${beat.id} of region ${beat.region} cannot join the fleet of ${mem.region}`)
        mem.fleet.set(beat.id, { expiresAt: mem.now() + ttlMs, beat: structuredClone(beat) })
      }),
    deregister: (relayId) => guarded(guard, async () => mem.fleet.delete(relayId)),
    liveRelays: () =>
      guarded(guard, async () => {
        const t = mem.now()
        const out: LiveRelay[] = []
        for (const [id, { expiresAt, beat }] of mem.fleet) {
          if (expiresAt <= t) mem.fleet.delete(id)
          else out.push({ ...structuredClone(beat), expiresAt })
        }
        return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      }),
  }
}
