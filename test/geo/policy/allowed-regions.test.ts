import t from 'tap'
import { allowedRegions, regionInAllowedSet, type ResidencyMode } from '../../../geo/policy/allowed-regions.js'
import { regions } from '../support/network.js'

const everywhere = regions.all().map((r) => r.id)

t.test('allowed region sets follow the residency mode, the tenant grants and the home country', async (t) => {
  const cases: Array<{
    why: string
    home: string
    mode: ResidencyMode
    allowedRegions: string[]
    allowedJurisdictions: string[]
    allow: boolean
    reason: string
    regions: string[]
  }> = [
    { why: 'region mode keeps the meeting in its home region', home: 'eu-central', mode: 'region', allowedRegions: everywhere, allowedJurisdictions: ['EU'], allow: true, reason: 'home_region', regions: ['eu-central'] },
    { why: 'EU jurisdiction mode spans the EU regions only', home: 'eu-central', mode: 'jurisdiction', allowedRegions: everywhere, allowedJurisdictions: ['EU'], allow: true, reason: 'in_jurisdiction', regions: ['eu-central', 'eu-south', 'eu-west'] },
    { why: 'EEA jurisdiction mode adds Norway but not Switzerland or the UK', home: 'eu-west', mode: 'jurisdiction', allowedRegions: everywhere, allowedJurisdictions: ['EEA'], allow: true, reason: 'in_jurisdiction', regions: ['eu-west', 'eea-north', 'eu-central', 'eu-south'] },
    { why: 'only jurisdictions that contain the home country count', home: 'eu-central', mode: 'jurisdiction', allowedRegions: everywhere, allowedJurisdictions: ['DACH', 'Five-Eyes'], allow: true, reason: 'in_jurisdiction', regions: ['eu-central', 'ch-zurich'] },
    { why: 'several covering jurisdictions give their union', home: 'eu-central', mode: 'jurisdiction', allowedRegions: everywhere, allowedJurisdictions: ['DACH', 'EU'], allow: true, reason: 'in_jurisdiction', regions: ['eu-central', 'ch-zurich', 'eu-south', 'eu-west'] },
    { why: 'a home in Norway under EU mode is refused: the EU does not contain Norway', home: 'eea-north', mode: 'jurisdiction', allowedRegions: everywhere, allowedJurisdictions: ['EU'], allow: false, reason: 'jurisdiction_not_allowed', regions: [] },
    { why: 'a country jurisdiction spans the regions of that country', home: 'in-west', mode: 'jurisdiction', allowedRegions: everywhere, allowedJurisdictions: ['IN'], allow: true, reason: 'in_jurisdiction', regions: ['in-west', 'in-south'] },
    { why: 'a jurisdiction never widens beyond the tenant region grants', home: 'eu-central', mode: 'jurisdiction', allowedRegions: ['eu-central', 'eu-west'], allowedJurisdictions: ['EEA'], allow: true, reason: 'in_jurisdiction', regions: ['eu-central', 'eu-west'] },
    { why: 'an unknown jurisdiction id widens nothing', home: 'eu-central', mode: 'jurisdiction', allowedRegions: everywhere, allowedJurisdictions: ['Nordics'], allow: false, reason: 'jurisdiction_not_allowed', regions: [] },
    { why: 'jurisdiction mode without allowed jurisdictions is refused', home: 'eu-central', mode: 'jurisdiction', allowedRegions: everywhere, allowedJurisdictions: [], allow: false, reason: 'jurisdiction_not_allowed', regions: [] },
    { why: 'a home region the tenant may not use is refused in region mode', home: 'us-east', mode: 'region', allowedRegions: ['eu-central'], allowedJurisdictions: [], allow: false, reason: 'region_not_allowed_for_tenant', regions: [] },
    { why: 'a home region the tenant may not use is refused in jurisdiction mode', home: 'eu-west', mode: 'jurisdiction', allowedRegions: ['eu-central'], allowedJurisdictions: ['EU'], allow: false, reason: 'region_not_allowed_for_tenant', regions: [] },
    { why: 'an unknown home region is refused', home: 'mars-1', mode: 'region', allowedRegions: ['mars-1'], allowedJurisdictions: [], allow: false, reason: 'region_unknown', regions: [] },
    { why: 'an unknown residency mode is refused', home: 'eu-central', mode: 'global' as ResidencyMode, allowedRegions: everywhere, allowedJurisdictions: ['EU'], allow: false, reason: 'policy_unavailable', regions: [] },
  ]
  for (const c of cases) {
    const v = allowedRegions({ homeRegion: c.home, mode: c.mode, tenant: { allowedRegions: c.allowedRegions, allowedJurisdictions: c.allowedJurisdictions }, regions })
    t.equal(v.allow, c.allow, `${c.why}: ${c.allow ? 'allowed' : 'denied'}`)
    t.equal(v.reason, c.reason, `${c.why}: reason ${c.reason}`)
    t.same(v.regions, c.regions, `${c.why}: [${c.regions.join(', ')}]`)
  }
})

t.test('a region checks itself against a meeting allowed set', async (t) => {
  const tenant = { allowedRegions: everywhere, allowedJurisdictions: ['EU'] }
  const set = allowedRegions({ homeRegion: 'eu-central', mode: 'jurisdiction', tenant, regions })
  t.match(regionInAllowedSet('eu-central', set), { allow: true, reason: 'home_region' })
  t.match(regionInAllowedSet('eu-west', set), { allow: true, reason: 'in_jurisdiction' })
  t.match(regionInAllowedSet('ch-zurich', set), { allow: false, reason: 'region_outside_allowed_set' })
  const refused = allowedRegions({ homeRegion: 'us-east', mode: 'region', tenant: { allowedRegions: ['eu-central'], allowedJurisdictions: [] }, regions })
  t.match(regionInAllowedSet('us-east', refused), { allow: false, reason: 'region_not_allowed_for_tenant' })
})
