/**
 * Whether a tenant may pin a meeting to a region: the region must exist and be on the
 * operator's allow-list for the tenant. Nothing else widens it.
 */
import type { Regions } from '../regions.js'
import { allow, deny, type Verdict } from '../verdict.js'

export interface TenantRegionInput {
  readonly tenant: { readonly allowedRegions: readonly string[] }
  readonly regionId: string
  readonly regions: Regions
}

export function mayPinRegion({ tenant, regionId, regions }: TenantRegionInput): Verdict {
  if (!regions.has(regionId)) return deny('region_unknown', regionId)
  if (!tenant.allowedRegions.includes(regionId)) return deny('region_not_allowed_for_tenant', regionId)
  return allow('tenant_allowed_region', regionId)
}
