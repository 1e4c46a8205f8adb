/**
 * The residency decisions the meeting service needs, as a port: which home region a
 * tenant may pin a meeting to, which regions' relays may carry it, and whether an
 * attendee's location may join. Each answer is a `Verdict` (geo/verdict.ts).
 *
 * `geoResidencyPolicy` delegates every decision to geo/policy (the service never decides
 * residency itself); it only builds geo's region catalogue from the running config,
 * once per config object, so a SIGHUP reload is picked up by the next call.
 */
import type { NetworkConfig, Region, Tenant, AttendeePolicy } from '../../config/network-config.js'
import type { ResidencyModeName } from '../../config/schema.js'
import type { GeoResult } from '../../geo/geo-result.js'
import { Jurisdictions } from '../../geo/jurisdictions.js'
import { allowedRegions } from '../../geo/policy/allowed-regions.js'
import { attendeeVerdict } from '../../geo/policy/attendee.js'
import { mayPinRegion } from '../../geo/policy/tenant-region.js'
import { Regions, type RegionInput } from '../../geo/regions.js'
import type { Verdict } from '../../geo/verdict.js'

export interface RegionChoice {
  readonly verdict: Verdict
  /** Set when allowed. */
  readonly region?: Region
}

export interface AllowedSet {
  readonly verdict: Verdict
  /** Home region first, then the others by id. */
  readonly regions: readonly string[]
}

export interface ResidencyPolicy {
  /** The home region for a new meeting: the requested one or the tenant default. */
  chooseHomeRegion(config: NetworkConfig, tenant: Tenant, requested: string | undefined): RegionChoice
  /** Regions whose relays may carry the meeting's media (guarantee 1). */
  allowedRegions(config: NetworkConfig, tenant: Tenant, home: Region, mode: ResidencyModeName): AllowedSet
  /** May an attendee at this location join (guarantee 6, control-plane side)? */
  attendee(policy: AttendeePolicy, where: GeoResult): Verdict
}

const catalogues = new WeakMap<NetworkConfig, Regions>()

/** geo's region catalogue (with the operator's jurisdictions) for this config. */
export function regionsOf(config: NetworkConfig): Regions {
  let regions = catalogues.get(config)
  if (!regions) {
    // The loaded config is deeply read-only; geo's input type is not (it only reads it).
    regions = Regions.fromConfig(config.regions as unknown as readonly RegionInput[], Jurisdictions.fromConfig(config.jurisdictions))
    catalogues.set(config, regions)
  }
  return regions
}

export const geoResidencyPolicy: ResidencyPolicy = {
  chooseHomeRegion(config, tenant, requested) {
    const regionId = requested ?? tenant.defaultRegion
    const verdict = mayPinRegion({ tenant, regionId, regions: regionsOf(config) })
    const region = verdict.allow ? config.regionById(regionId) : undefined
    return region ? { verdict, region } : { verdict }
  },

  allowedRegions(config, tenant, home, mode) {
    const { regions, ...verdict } = allowedRegions({ homeRegion: home.id, mode, tenant, regions: regionsOf(config) })
    return { verdict: verdict as Verdict, regions }
  },

  attendee: (policy, where) => attendeeVerdict(policy, where),
}
