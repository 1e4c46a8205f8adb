/**
 * The region catalogue: what policy needs to know about each region of the network —
 * where it is (country, coordinates), which jurisdictions that puts it in (derived from
 * its country, never declared), and how to reach its control plane and Redis.
 */
import type { RedisConnection } from '../config/network-config.js'
import { isCountryCode, type Coordinates } from './countries.js'
import { GeoError } from './errors.js'
import type { Jurisdictions } from './jurisdictions.js'

export interface Region {
  readonly id: string
  readonly name: string
  /** ISO 3166-1 alpha-2 of the country the region's machines are in. */
  readonly country: string
  readonly location: Coordinates
  /** Every jurisdiction the region's country lies in, its own country code first. */
  readonly jurisdictions: readonly string[]
  readonly controlPlaneUrl: string
  readonly controlPlaneListen?: string
  /** Secrets already resolved by the config loader. */
  readonly redis: RedisConnection
}

/** The fields of a loaded config region (config/network-config.ts Region) the catalogue reads. */
export interface RegionInput {
  readonly id: string
  readonly name?: string
  readonly country: string
  readonly location: Coordinates
  readonly controlPlane: { readonly url: string; readonly listen?: string }
  readonly redis: RedisConnection
}

export class Regions {
  readonly #byId: ReadonlyMap<string, Region>
  readonly jurisdictions: Jurisdictions

  private constructor(byId: Map<string, Region>, jurisdictions: Jurisdictions) {
    this.#byId = byId
    this.jurisdictions = jurisdictions
  }

  /** Throws GeoError (GEO_REGION_DUPLICATE, GEO_COUNTRY_UNKNOWN) naming the bad entry. */
  static fromConfig(regions: readonly RegionInput[], jurisdictions: Jurisdictions): Regions {
    const byId = new Map<string, Region>()
    regions.forEach((r, i) => {
      if (byId.has(r.id)) throw new GeoError('GEO_REGION_DUPLICATE', `regions[${i}].id: ${r.id} is defined twice`)
      if (!isCountryCode(r.country)) throw new GeoError('GEO_COUNTRY_UNKNOWN', `regions[${i}].country: not an ISO 3166-1 alpha-2 code: ${r.country}`)
      const region: Region = {
        id: r.id,
        name: r.name ?? r.id,
        country: r.country,
        location: Object.freeze({ lat: r.location.lat, lon: r.location.lon }),
        jurisdictions: Object.freeze([...jurisdictions.jurisdictionsOf(r.country)]),
        controlPlaneUrl: r.controlPlane.url,
        redis: r.redis,
        ...(r.controlPlane.listen === undefined ? {} : { controlPlaneListen: r.controlPlane.listen }),
      }
      byId.set(r.id, Object.freeze(region))
    })
    return new Regions(byId, jurisdictions)
  }

  get(id: string): Region | undefined {
    return this.#byId.get(id)
  }

  has(id: string): boolean {
    return this.#byId.has(id)
  }

  /** In config order. */
  all(): readonly Region[] {
    return [...this.#byId.values()]
  }

  /** Regions whose country lies in the jurisdiction. */
  inJurisdiction(jurisdictionId: string): readonly Region[] {
    return this.all().filter((r) => this.jurisdictions.contains(jurisdictionId, r.country))
  }
}
