/**
 * The answer to "where is this address": the contract between geo/ and everything that
 * asks (relay, control plane, policy). Results are frozen and shared; never mutate one.
 */
import type { Coordinates } from './countries.js'

/**
 * override  — an operator CIDR override placed it (wins over everything else)
 * database  — the MMDB placed it
 * reserved  — a special-purpose range (private, loopback, documentation, …) with no override
 * unknown   — not an address, or the database has no country for it
 */
export type GeoSource = 'override' | 'database' | 'reserved' | 'unknown'

export interface GeoResult {
  /** ISO 3166-1 alpha-2, or null: unknown is an answer policy must decide on. */
  readonly country: string | null
  readonly source: GeoSource
  /** Database coordinates when it has them (City files), else the country centroid; absent when country is null. */
  readonly location?: Coordinates
}

/** What the relay and the control plane depend on; policy takes it injected. */
export interface GeoLookup {
  lookup(ip: string): GeoResult
}

export const UNKNOWN: GeoResult = Object.freeze({ country: null, source: 'unknown' })
export const RESERVED: GeoResult = Object.freeze({ country: null, source: 'reserved' })
