/**
 * What a tenant may do must make sense against the rest of the network: the regions it
 * may pin meetings to exist, its default is one of them, the jurisdictions it may spread
 * over have names the policy knows, and its attendee policy says what it seems to say.
 * When unsure the rules refuse: a policy that silently means "nobody" or "everybody"
 * is how residency promises get broken.
 */
import { attendeePolicyProblems } from '../../geo/policy/attendee.js'
import type { RawIssue } from '../check-schema.js'
import { isBuiltInJurisdiction } from '../jurisdiction-names.js'
import { duplicates, formatPath, type Rule } from './rule-context.js'

export const tenantRules: Rule = ({ config }) => {
  const issues: RawIssue[] = []
  const regionIds = new Set(config.regions.map((region) => region.id))
  const jurisdictionIds = new Set(config.jurisdictions.map((jurisdiction) => jurisdiction.id))
  const known = [...regionIds].join(', ')

  config.tenants.forEach((tenant, t) => {
    const at = ['tenants', t] as const
    tenant.allowedRegions.forEach((region, i) => {
      if (!regionIds.has(region)) issues.push({ path: [...at, 'allowedRegions', i], rule: 'region_unknown', message: `region "${region}" does not exist (regions: ${known})` })
    })
    issues.push(...duplicates(tenant.allowedRegions.map((value, i) => ({ value, path: [...at, 'allowedRegions', i] })), (v) => v, (entry, first) => ({
      path: entry.path,
      rule: 'duplicate_region',
      message: `region "${entry.value}" is listed twice (first at ${formatPath(first.path)})`,
    })))

    if (!regionIds.has(tenant.defaultRegion)) {
      issues.push({ path: [...at, 'defaultRegion'], rule: 'region_unknown', message: `region "${tenant.defaultRegion}" does not exist (regions: ${known})` })
    } else if (!tenant.allowedRegions.includes(tenant.defaultRegion)) {
      issues.push({
        path: [...at, 'defaultRegion'],
        rule: 'default_region_not_allowed',
        message: `default region "${tenant.defaultRegion}" is not among the tenant's allowedRegions (${tenant.allowedRegions.join(', ')})`,
      })
    }

    tenant.allowedJurisdictions.forEach((name, i) => {
      if (!isBuiltInJurisdiction(name) && !jurisdictionIds.has(name)) {
        const defined = [...jurisdictionIds]
        issues.push({
          path: [...at, 'allowedJurisdictions', i],
          rule: 'jurisdiction_unknown',
          message: `jurisdiction "${name}" is not defined (use EU, EEA, a country code${defined.length > 0 ? `, or one of ${defined.join(', ')}` : ', or define it under jurisdictions'})`,
        })
      }
    })
    if (tenant.residencyMode === 'jurisdiction' && tenant.allowedJurisdictions.length === 0) {
      issues.push({
        path: [...at, 'allowedJurisdictions'],
        rule: 'residency_mode',
        message: 'residencyMode "jurisdiction" needs at least one allowed jurisdiction; with none, meetings could never leave their home region (use residencyMode "region" for that)',
      })
    }

    for (const problem of attendeePolicyProblems(tenant.attendeePolicy)) {
      issues.push({ path: [...at, 'attendeePolicy', problem.field], rule: 'attendee_policy', message: problem.message })
    }
  })
  return issues
}
