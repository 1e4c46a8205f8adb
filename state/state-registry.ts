/**
 * Opens (lazily, once) the state of ANY region by its config. A relay of region B
 * serving a jurisdiction-mode meeting homed in A reads that meeting's policy from A's
 * Redis and subscribes to A's revocations through here; nothing about the meeting is
 * written to B's Redis (guarantee 4), because meeting keys are only built by the
 * meeting's home region (see keys.ts) and `forMeeting` always picks that region.
 */
import type { RedisSettings } from '../config/schema.js'
import { homeRegionOf } from './meeting-id.js'
import { openRegionState, type RegionState, type RegionStateOptions } from './region-state.js'
import { StateError } from './errors.js'

export interface StateRegistryOptions extends Omit<RegionStateOptions, 'region' | 'redis'> {
  /** Region id -> its Redis config (from config.regions[].redis). */
  readonly regions: ReadonlyMap<string, RedisSettings> | readonly { id: string; redis: RedisSettings }[]
  /** Opener, for tests that count or fake openings. */
  readonly open?: (options: RegionStateOptions) => RegionState
}

export class StateRegistry {
  readonly #regions: ReadonlyMap<string, RedisSettings>
  readonly #options: StateRegistryOptions
  readonly #open = new Map<string, RegionState>()
  #closed = false

  constructor(options: StateRegistryOptions) {
    this.#options = options
    this.#regions = options.regions instanceof Map ? options.regions : new Map((options.regions as readonly { id: string; redis: RedisSettings }[]).map((r) => [r.id, r.redis]))
  }

  /** The state of `region`, opened on first use and cached. */
  region(region: string): RegionState {
    if (this.#closed) throw new StateError('ERR_STATE_CLOSED', 'state registry was closed')
    let s = this.#open.get(region)
    if (s) return s
    const redis = this.#regions.get(region)
    if (!redis) throw new StateError('ERR_STATE_NOT_HOMED_HERE', `no region ${region} in the config`)
    const { regions: _r, open = openRegionState, ...rest } = this.#options
    s = open({ ...rest, region, redis })
    this.#open.set(region, s)
    return s
  }

  /** The state of the meeting's home region (named by the meeting id). */
  forMeeting(meetingId: string): RegionState {
    const home = homeRegionOf(meetingId)
    if (!home) throw new StateError('ERR_STATE_NOT_HOMED_HERE', `not a meeting id: ${meetingId}`)
    return this.region(home)
  }

  /** Regions opened so far. */
  opened(): string[] {
    return [...this.#open.keys()]
  }

  async close(): Promise<void> {
    this.#closed = true
    const all = [...this.#open.values()]
    this.#open.clear()
    await Promise.all(all.map((s) => s.close()))
  }
}
