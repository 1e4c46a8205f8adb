/**
 * Which regions may carry a meeting (guarantee 1), from its home region and the tenant's
 * residency mode.
 *
 * - `region`: the home region only.
 * - `jurisdiction`: every region whose country lies in a jurisdiction that (a) the tenant
 *   allows and (b) contains the home region's country — i.e. the union, over the tenant's
 *   jurisdictions that cover home, of the regions inside them.
 *
 * Fail-closed choices, and why:
 * - The home region must itself be one the tenant may use; otherwise nothing is allowed.
 * - The result is intersected with the tenant's allowedRegions: a jurisdiction widens
 *   where media may go *within what the operator granted the tenant*, never beyond it.
 *   (Without this, adding a region to the network would silently widen every
 *   jurisdiction-mode tenant.)
 * - A jurisdiction id the catalogue does not know contains nothing (it cannot widen).
 * - In jurisdiction mode with no allowed jurisdiction covering the home country, the
 *   meeting is refused (`jurisdiction_not_allowed`) rather than quietly narrowed to the
 *   home region: the tenant asked for something its grants cannot express, and an
 *   operator should see that at meeting creation, not discover it in a report.
 */
import type { Regions } from '../regions.js'
import { allow, deny, type Verdict } from '../verdict.js'

export type ResidencyMode = 'region' | 'jurisdiction'

/** The tenant fields this decision reads (config TenantConfig satisfies it). */
export interface TenantResidency {
  readonly allowedRegions: readonly string[]
  readonly allowedJurisdictions: readonly string[]
}

/** A verdict plus the allowed set: home region first, then the rest by id; empty when denied. */
export type AllowedRegions = Verdict & { readonly regions: readonly string[] }

export interface AllowedRegionsInput {
  readonly homeRegion: string
  readonly mode: ResidencyMode
  readonly tenant: TenantResidency
  readonly regions: Regions
}

const none = (v: Verdict): AllowedRegions => ({ ...v, regions: [] })

export function allowedRegions({ homeRegion, mode, tenant, regions }: AllowedRegionsInput): AllowedRegions {
  const home = regions.get(homeRegion)
  if (!home) return none(deny('region_unknown', homeRegion))
  if (!tenant.allowedRegions.includes(homeRegion)) return none(deny('region_not_allowed_for_tenant', homeRegion))
  if (mode === 'region') return { ...allow('home_region', homeRegion), regions: [homeRegion] }
  if (mode !== 'jurisdiction') return none(deny('policy_unavailable', `unknown residency mode ${String(mode)}`))

  const covering = tenant.allowedJurisdictions.filter((j) => regions.jurisdictions.contains(j, home.country))
  if (covering.length === 0) {
    return none(deny('jurisdiction_not_allowed', `no allowed jurisdiction contains ${home.country}`))
  }
  const others = regions.all()
    .filter((r) => r.id !== homeRegion && tenant.allowedRegions.includes(r.id) &&
      covering.some((j) => regions.jurisdictions.contains(j, r.country)))
    .map((r) => r.id)
    .sort()
  return { ...allow('in_jurisdiction', covering.join(',')), regions: [homeRegion, ...others] }
}

/**
 * Whether one region belongs to a meeting's allowed set, and why: the one place the
 * `home_region` / `in_jurisdiction` reason is worked out (a relay checking itself, the
 * control plane handing out relays, the audit of each relay issued). The set is either
 * a decision of `allowedRegions` or a stored one (home region first, as stored at create).
 */
export function regionInAllowedSet(regionId: string, allowed: AllowedRegions | readonly string[]): Verdict {
  const set = isStoredSet(allowed) ? allowed : allowed.regions
  if (!isStoredSet(allowed) && !allowed.allow) return deny(allowed.reason, allowed.detail)
  if (set.length === 0) return deny('region_outside_allowed_set', `${regionId} (the allowed set is empty)`)
  if (set[0] === regionId) return allow('home_region', regionId)
  if (set.includes(regionId)) return allow('in_jurisdiction', regionId)
  return deny('region_outside_allowed_set', `${regionId} not in [${set.join(', ')}]`)
}

const isStoredSet = (allowed: AllowedRegions | readonly string[]): allowed is readonly string[] => Array.isArray(allowed)
