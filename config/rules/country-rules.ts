/**
 * Every country code in the config is a real ISO 3166-1 alpha-2 code (the schema only
 * checks the shape: `XX` passes the pattern but places nobody), and operator-defined
 * jurisdictions do not take a name the policy already gives a meaning to.
 */
import { isCountryCode } from '../../geo/countries.js'
import type { RawIssue } from '../check-schema.js'
import type { FieldPath } from '../field-path.js'
import { BUILT_IN_JURISDICTIONS } from '../jurisdiction-names.js'
import { duplicates, formatPath, type Rule } from './rule-context.js'

function checkCountry(code: string, path: FieldPath, issues: RawIssue[]): void {
  if (!isCountryCode(code)) issues.push({ path, rule: 'country_unknown', message: `"${code}" is not an ISO 3166-1 alpha-2 country code` })
}

function checkCountryList(codes: readonly string[], path: FieldPath, issues: RawIssue[]): void {
  codes.forEach((code, i) => checkCountry(code, [...path, i], issues))
  issues.push(...duplicates(codes.map((code, i) => ({ value: code, path: [...path, i] })), (code) => code, (entry, first) => ({
    path: entry.path,
    rule: 'duplicate_country',
    message: `country "${entry.value}" is listed twice (first at ${formatPath(first.path)})`,
  })))
}

export const countryRules: Rule = ({ config }) => {
  const issues: RawIssue[] = []
  config.regions.forEach((region, r) => checkCountry(region.country, ['regions', r, 'country'], issues))
  config.jurisdictions.forEach((jurisdiction, j) => {
    if (BUILT_IN_JURISDICTIONS.has(jurisdiction.id)) {
      issues.push({ path: ['jurisdictions', j, 'id'], rule: 'jurisdiction_reserved', message: `"${jurisdiction.id}" is a built-in jurisdiction and cannot be redefined` })
    } else if (/^[A-Z]{2}$/.test(jurisdiction.id)) {
      issues.push({ path: ['jurisdictions', j, 'id'], rule: 'jurisdiction_reserved', message: `"${jurisdiction.id}" looks like a country code; every country is already its own jurisdiction, so pick a longer name` })
    }
    checkCountryList(jurisdiction.countries, ['jurisdictions', j, 'countries'], issues)
  })
  config.geo.overrides.forEach((override, o) => checkCountry(override.country, ['geo', 'overrides', o, 'country'], issues))
  config.tenants.forEach((tenant, t) => checkCountryList(tenant.attendeePolicy.countries, ['tenants', t, 'attendeePolicy', 'countries'], issues))
  return issues
}
