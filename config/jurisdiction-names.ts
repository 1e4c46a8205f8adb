/**
 * Names a tenant may use in `allowedJurisdictions` without defining them: the built-in
 * EU and EEA, and every ISO country (each country is its own jurisdiction). Their
 * membership lives in geo/jurisdictions.ts; the config only needs to know the names exist.
 */
import { isCountryCode } from '../geo/countries.js'
import { BUILT_IN_JURISDICTION_IDS } from '../geo/jurisdictions.js'

export const BUILT_IN_JURISDICTIONS: ReadonlySet<string> = new Set(BUILT_IN_JURISDICTION_IDS)

export function isBuiltInJurisdiction(name: string): boolean {
  return BUILT_IN_JURISDICTIONS.has(name) || isCountryCode(name)
}
