/**
 * IP → country, composed: operator override, then special-purpose ranges, then the
 * database, behind a bounded cache keyed by the address text as the caller gave it.
 *
 *   1. parse (IPv4, IPv6, IPv4-mapped → IPv4, brackets, zones)   not an address → unknown
 *   2. override, longest prefix                                   → source 'override'
 *   3. reserved/private/loopback/documentation range              → source 'reserved'
 *   4. database                                                   → 'database' | 'unknown'
 *
 * Overrides come before the reserved rule on purpose: the local network and the tests
 * place loopback ranges in countries that way.
 */
import { countryCentroid } from './countries.js'
import { RESERVED, UNKNOWN, type GeoLookup, type GeoResult } from './geo-result.js'
import { parseHostIp } from './address/ip-address.js'
import { isSpecialUse } from './address/special-use.js'
import { LookupCache } from './lookup-cache.js'
import { GeoDatabase, type GeoDatabaseOptions } from './mmdb-reader.js'
import { Overrides, type OverrideMatch, type OverrideRule } from './overrides.js'

export type { GeoLookup, GeoResult, GeoSource } from './geo-result.js'

export interface GeoLocatorOptions {
  /** Null: no database, so everything not overridden or reserved is unknown. */
  database: GeoDatabase | null
  overrides?: Overrides | readonly OverrideRule[]
  /** Cached addresses; 0 disables the cache. Default 65,536. */
  cacheSize?: number
}

export class GeoLocator implements GeoLookup {
  readonly #database: GeoDatabase | null
  #overrides: Overrides
  #overrideResults = new Map<OverrideMatch, GeoResult>()
  readonly #cache: LookupCache<GeoResult> | undefined
  readonly #scratch = new Uint8Array(16)
  readonly #onReload = () => this.clearCache()

  constructor(options: GeoLocatorOptions) {
    this.#database = options.database
    this.#overrides = toOverrides(options.overrides)
    const size = options.cacheSize ?? 65_536
    this.#cache = size > 0 ? new LookupCache<GeoResult>(Math.max(2, size)) : undefined
    this.#database?.on('reload', this.#onReload)
  }

  get database(): GeoDatabase | null {
    return this.#database
  }

  get overrides(): Overrides {
    return this.#overrides
  }

  lookup(ip: string): GeoResult {
    const cache = this.#cache
    // No address is longer than 64 characters; longer text is never worth a cache slot.
    if (cache === undefined || ip.length > 64) return this.lookupUncached(ip)
    let result = cache.get(ip)
    if (result === undefined) {
      result = this.lookupUncached(ip)
      cache.set(ip, result)
    }
    return result
  }

  /** The same answer without touching the cache (benchmarks, diagnostics). */
  lookupUncached(ip: string): GeoResult {
    const bytes = this.#scratch
    const family = parseHostIp(ip, bytes)
    if (family === 0) return UNKNOWN
    if (this.#overrides.size > 0) {
      const match = this.#overrides.matchBytes(family, bytes)
      if (match !== undefined) return this.#overrideResult(match)
    }
    if (isSpecialUse(family, bytes)) return RESERVED
    return this.#database?.lookupBytes(family, bytes) ?? UNKNOWN
  }

  /** The override rule that places an address, if one does (diagnostics: `sovereign geo lookup`). */
  overrideFor(ip: string): OverrideMatch | undefined {
    const bytes = new Uint8Array(16)
    const family = parseHostIp(ip, bytes)
    return family === 0 ? undefined : this.#overrides.matchBytes(family, bytes)
  }

  /** Swaps the override set (config reload). Throws GeoError on a bad rule and keeps the old set. */
  setOverrides(overrides: Overrides | readonly OverrideRule[]): void {
    this.#overrides = toOverrides(overrides)
    this.#overrideResults = new Map()
    this.clearCache()
  }

  clearCache(): void {
    this.#cache?.clear()
  }

  /** Detaches from the database's reload events; closes the database only when asked. */
  close(options: { closeDatabase?: boolean } = {}): void {
    this.#database?.off('reload', this.#onReload)
    if (options.closeDatabase) this.#database?.close()
  }

  #overrideResult(match: OverrideMatch): GeoResult {
    let result = this.#overrideResults.get(match)
    if (result === undefined) {
      const location = countryCentroid(match.country)
      result = Object.freeze(location
        ? { country: match.country, source: 'override' as const, location }
        : { country: match.country, source: 'override' as const })
      this.#overrideResults.set(match, result)
    }
    return result
  }
}

function toOverrides(o: Overrides | readonly OverrideRule[] | undefined): Overrides {
  if (o === undefined) return Overrides.none
  return o instanceof Overrides ? o : Overrides.compile(o)
}

export interface OpenGeoLookupSettings {
  /** MMDB file; omitted means the embedded CC0 database. */
  database?: string
  overrides?: readonly OverrideRule[]
  /** Re-read the database when the file changes. Default false here (config/schema.ts defaults it to true). */
  watch?: boolean
}

/**
 * Opens the database and compiles the overrides, e.g. from the network config's `geo`
 * section. Rejects with GeoError (GEO_DATABASE_INVALID, GEO_CIDR_INVALID, …).
 */
export async function openGeoLookup(
  settings: OpenGeoLookupSettings = {},
  options: { cacheSize?: number; debounceMs?: number } = {},
): Promise<GeoLocator> {
  const overrides = Overrides.compile(settings.overrides ?? [])
  const dbOptions: GeoDatabaseOptions = { watch: settings.watch ?? false }
  if (options.debounceMs !== undefined) dbOptions.debounceMs = options.debounceMs
  const database = await GeoDatabase.open(settings.database, dbOptions)
  const locatorOptions: GeoLocatorOptions = { database, overrides }
  if (options.cacheSize !== undefined) locatorOptions.cacheSize = options.cacheSize
  return new GeoLocator(locatorOptions)
}
