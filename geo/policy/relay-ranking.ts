/**
 * Which relays to offer a participant (guarantee 1). Only relays of the meeting's allowed
 * region set are ever candidates; among those, only healthy, non-draining ones with spare
 * capacity. They are ordered by
 *   1. distance from the participant to the relay's region (participant location from
 *      the geo lookup: database coordinates or country centroid; an unplaced participant
 *      is equally far from everything, and a region without coordinates is last),
 *   2. utilisation (load / capacity), least loaded first,
 *   3. relay id — so the same inputs always give the same answer.
 * When nothing qualifies the answer is `no_capacity_in_allowed_regions`, never a relay
 * from outside the set: overflowing to other regions is exactly how a well-known vendor's
 * geo-fence broke in 2020.
 */
import type { Coordinates } from '../countries.js'
import { distanceKm } from '../distance.js'
import type { RelayDescriptor } from './relay-descriptor.js'

export type { RelayDescriptor } from './relay-descriptor.js'

export type RankResult<T extends RelayDescriptor> =
  | { readonly ok: true; readonly relays: readonly T[] }
  | { readonly ok: false; readonly reason: 'no_capacity_in_allowed_regions'; readonly detail: string }

export interface RankInput<T extends RelayDescriptor> {
  readonly relays: Iterable<T>
  /** The meeting's allowed region set (allowedRegions(...).regions). */
  readonly allowedRegions: readonly string[] | ReadonlySet<string>
  /** Where each region is; geo/regions.ts Regions satisfies it. */
  readonly regions: { get(id: string): { readonly location: Coordinates } | undefined }
  /** Where the participant is; a GeoResult satisfies it. */
  readonly participant?: { readonly location?: Coordinates } | null
  /** At most this many relays (default: all that qualify). */
  readonly limit?: number
}

const hasSpareCapacity = (r: RelayDescriptor): boolean => {
  const load = r.load?.allocations
  return typeof load === 'number' && Number.isFinite(load) && Number.isFinite(r.capacity) && r.capacity > 0 && load >= 0 && load < r.capacity
}

export function rankRelays<T extends RelayDescriptor>(input: RankInput<T>): RankResult<T> {
  const allowed: ReadonlySet<string> = input.allowedRegions instanceof Set
    ? input.allowedRegions
    : new Set(input.allowedRegions as readonly string[])
  const from = input.participant?.location
  let inSet = 0
  let unhealthy = 0
  let draining = 0
  let full = 0
  const candidates: Array<{ relay: T; distance: number; utilisation: number }> = []
  const distanceCache = new Map<string, number>()
  for (const relay of input.relays) {
    if (!allowed.has(relay.region)) continue
    inSet++
    if (relay.healthy === false) {
      unhealthy++
      continue
    }
    if (relay.draining !== false) {
      draining++
      continue
    }
    if (!hasSpareCapacity(relay)) {
      full++
      continue
    }
    let distance = distanceCache.get(relay.region)
    if (distance === undefined) {
      const to = input.regions.get(relay.region)?.location
      distance = to === undefined ? Infinity : from === undefined ? 0 : distanceKm(from, to)
      distanceCache.set(relay.region, distance)
    }
    candidates.push({ relay, distance, utilisation: relay.load.allocations / relay.capacity })
  }
  if (candidates.length === 0) {
    return {
      ok: false,
      reason: 'no_capacity_in_allowed_regions',
      detail: `${inSet} relays in allowed regions [${[...allowed].join(',')}]: ${unhealthy} unhealthy, ${draining} draining, ${full} full`,
    }
  }
  candidates.sort((a, b) =>
    a.distance - b.distance || a.utilisation - b.utilisation || (a.relay.id < b.relay.id ? -1 : a.relay.id > b.relay.id ? 1 : 0))
  const limit = input.limit ?? candidates.length
  return { ok: true, relays: candidates.slice(0, Math.max(1, limit)).map((c) => c.relay) }
}
