/**
 * Jurisdictions are named sets of countries. Three kinds, one namespace:
 *   - built in: EU (the 27 member states) and EEA (EU + Iceland, Liechtenstein, Norway);
 *   - every country is its own jurisdiction, its id the country code (`DE`);
 *   - operator-defined ones from the network config (`jurisdictions:`).
 * An operator jurisdiction may not reuse a built-in id or a country code: "EU" must mean
 * the EU everywhere, or residency guarantees mean nothing.
 */
import { COUNTRY_CODES, countryName, isCountryCode } from './countries.js'
import { GeoError } from './errors.js'

export interface Jurisdiction {
  readonly id: string
  readonly name: string
  readonly kind: 'built-in' | 'country' | 'operator'
  readonly countries: ReadonlySet<string>
}

/** EU member states as of 2026 (the UK left on 31 January 2020; no accession since Croatia in 2013). */
export const EU_MEMBERS: readonly string[] = Object.freeze([
  'AT', 'BE', 'BG', 'CY', 'CZ', 'DE', 'DK', 'EE', 'ES', 'FI', 'FR', 'GR', 'HR', 'HU',
  'IE', 'IT', 'LT', 'LU', 'LV', 'MT', 'NL', 'PL', 'PT', 'RO', 'SE', 'SI', 'SK',
])

/** The European Economic Area: the EU plus Iceland, Liechtenstein and Norway (not Switzerland). */
export const EEA_MEMBERS: readonly string[] = Object.freeze([...EU_MEMBERS, 'IS', 'LI', 'NO'].sort())

const BUILT_IN: readonly Jurisdiction[] = [
  { id: 'EU', name: 'European Union', kind: 'built-in', countries: new Set(EU_MEMBERS) },
  { id: 'EEA', name: 'European Economic Area', kind: 'built-in', countries: new Set(EEA_MEMBERS) },
]

/** Ids an operator jurisdiction may not take. */
export const BUILT_IN_JURISDICTION_IDS: readonly string[] = Object.freeze(BUILT_IN.map((j) => j.id))

/** True for an id the config may not define: a built-in jurisdiction or a country code. */
export function isReservedJurisdictionId(id: string): boolean {
  return BUILT_IN_JURISDICTION_IDS.includes(id) || isCountryCode(id)
}

/** A config jurisdiction (config/schema.ts Jurisdiction, loaded or not). */
export interface JurisdictionInput {
  readonly id: string
  readonly name?: string
  readonly countries: readonly string[]
}

export class Jurisdictions {
  readonly #byId: ReadonlyMap<string, Jurisdiction>
  readonly #ofCountry: ReadonlyMap<string, readonly string[]>

  private constructor(byId: Map<string, Jurisdiction>) {
    this.#byId = byId
    const of = new Map<string, string[]>()
    for (const j of byId.values()) {
      for (const c of j.countries) {
        let list = of.get(c)
        if (!list) of.set(c, (list = []))
        list.push(j.id)
      }
    }
    this.#ofCountry = of
  }

  /**
   * The built-ins, one per country, and the operator's. Throws GeoError
   * (GEO_JURISDICTION_RESERVED, GEO_COUNTRY_UNKNOWN) naming the bad entry.
   */
  static fromConfig(operator: readonly JurisdictionInput[] = []): Jurisdictions {
    const byId = new Map<string, Jurisdiction>()
    // country first, so a country's own jurisdiction heads its list
    for (const code of COUNTRY_CODES) {
      byId.set(code, Object.freeze({ id: code, name: countryName(code)!, kind: 'country' as const, countries: new Set([code]) }))
    }
    for (const j of BUILT_IN) byId.set(j.id, Object.freeze(j))
    operator.forEach((j, i) => {
      if (byId.has(j.id)) {
        throw new GeoError('GEO_JURISDICTION_RESERVED', `jurisdictions[${i}].id: ${j.id} is ${isReservedJurisdictionId(j.id) ? 'built in' : 'defined twice'}`)
      }
      j.countries.forEach((c, k) => {
        if (!isCountryCode(c)) throw new GeoError('GEO_COUNTRY_UNKNOWN', `jurisdictions[${i}].countries[${k}]: not an ISO 3166-1 alpha-2 code: ${c}`)
      })
      byId.set(j.id, Object.freeze({ id: j.id, name: j.name ?? j.id, kind: 'operator' as const, countries: new Set(j.countries) }))
    })
    return new Jurisdictions(byId)
  }

  get(id: string): Jurisdiction | undefined {
    return this.#byId.get(id)
  }

  has(id: string): boolean {
    return this.#byId.has(id)
  }

  /** False for an unknown jurisdiction: an id nobody defined contains nothing. */
  contains(jurisdictionId: string, country: string): boolean {
    return this.#byId.get(jurisdictionId)?.countries.has(country) ?? false
  }

  /** Every jurisdiction the country belongs to: its own code first, then EU/EEA, then operator ones. */
  jurisdictionsOf(country: string): readonly string[] {
    return this.#ofCountry.get(country) ?? []
  }
}

/** Built-ins and countries only: for callers without a network config. */
export const BUILT_IN_JURISDICTIONS: Jurisdictions = Jurisdictions.fromConfig()
