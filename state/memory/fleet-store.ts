/** The fleet in process memory: same TTL rule as Redis, against the injected clock. */
import { DEFAULT_RELAY_TTL_MS, drainedView, timedFleetRead, type DrainRequest, type FleetStore, type LiveRelay } from '../fleet.js'
import { StateError } from '../errors.js'
import { guarded, type Guard } from '../redis/guard.js'
import type { MemoryRegion } from './backend.js'

/**
 * Operator drain requests per memory region (what the `drains` hash holds in Redis).
 * Kept beside the region rather than in it so every store opened on the same region
 * shares them, as every process shares the Redis hash.
 */
const drainsByRegion = new WeakMap<MemoryRegion, Map<string, DrainRequest>>()

function drainsOf(mem: MemoryRegion): Map<string, DrainRequest> {
  let d = drainsByRegion.get(mem)
  if (!d) drainsByRegion.set(mem, (d = new Map()))
  return d
}

export function createMemoryFleetStore(mem: MemoryRegion, guard: Guard): FleetStore {
  const drains = drainsOf(mem)
  return {
    region: mem.region,
    heartbeat: (beat, ttlMs = DEFAULT_RELAY_TTL_MS) =>
      guarded(guard, async () => {
        if (beat.region !== mem.region) throw new StateError('ERR_STATE_COMMAND', `relay ${beat.id} of region ${beat.region} cannot join the fleet of ${mem.region}`)
        mem.fleet.set(beat.id, { expiresAt: mem.now() + ttlMs, beat: structuredClone(beat) })
        const request = drains.get(beat.id)
        return { drainRequest: request ? structuredClone(request) : null }
      }),
    deregister: (relayId) => guarded(guard, async () => mem.fleet.delete(relayId)),
    liveRelays: () =>
      timedFleetRead(mem.region, () => guarded(guard, async () => {
        const t = mem.now()
        const out: LiveRelay[] = []
        for (const [id, { expiresAt, beat }] of mem.fleet) {
          if (expiresAt <= t) {
            mem.fleet.delete(id)
            continue
          }
          const relay: LiveRelay = { ...structuredClone(beat), expiresAt }
          const request = drains.get(id)
          out.push(request ? drainedView(relay, structuredClone(request)) : relay)
        }
        return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      })),
    requestDrain: (relayId, request) =>
      guarded(guard, async () => {
        if (!drains.has(relayId)) drains.set(relayId, structuredClone(request))
        return structuredClone(drains.get(relayId)!)
      }),
    cancelDrain: (relayId) => guarded(guard, async () => drains.delete(relayId)),
    drainRequests: () =>
      guarded(guard, async () =>
        [...drains.keys()].sort().map((relayId) => ({ relayId, ...structuredClone(drains.get(relayId)!) }))),
  }
}
