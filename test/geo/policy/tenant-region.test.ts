import t from 'tap'
import { mayPinRegion } from '../../../geo/policy/tenant-region.js'
import { regions } from '../support/network.js'

t.test('a tenant may pin a meeting only to an existing region on its allow-list', async (t) => {
  const tenant = { allowedRegions: ['eu-central', 'eu-west'] }
  const cases: Array<[string, boolean, string]> = [
    ['eu-central', true, 'tenant_allowed_region'],
    ['eu-west', true, 'tenant_allowed_region'],
    ['us-east', false, 'region_not_allowed_for_tenant'],
    ['eu-centra', false, 'region_unknown'],
    ['', false, 'region_unknown'],
  ]
  for (const [regionId, allow, reason] of cases) {
    t.match(mayPinRegion({ tenant, regionId, regions }), { allow, reason }, `${regionId || '(empty)'} → ${reason}`)
  }
  t.match(mayPinRegion({ tenant: { allowedRegions: ['ghost'] }, regionId: 'ghost', regions }), { allow: false, reason: 'region_unknown' },
    'an allow-list entry for a region that does not exist grants nothing')
})
