import t from 'tap'
import { loadConfig } from '../../config/load-config.js'
import { Jurisdictions } from '../../geo/jurisdictions.js'
import { openGeoLookup } from '../../geo/lookup.js'
import { allowedRegions } from '../../geo/policy/allowed-regions.js'
import { admitAttendee } from '../../geo/policy/attendee.js'
import { mayPinRegion } from '../../geo/policy/tenant-region.js'
import { Regions } from '../../geo/regions.js'

t.test('the geo catalogue and policy take a loaded network config as it is', async (t) => {
  const config = await loadConfig('deploy/examples/local-network.yaml', { missingEnv: 'placeholder' })
  const jurisdictions = Jurisdictions.fromConfig(config.jurisdictions)
  const regions = Regions.fromConfig(config.regions, jurisdictions)
  const geo = await openGeoLookup({ ...config.geo, watch: false })
  t.teardown(() => geo.close({ closeDatabase: true }))
  t.same(regions.all().map((r) => r.id), config.regions.map((r) => r.id))
  for (const tenant of config.tenants) {
    t.match(mayPinRegion({ tenant, regionId: tenant.defaultRegion, regions }), { allow: true }, `${tenant.id} may use its default region`)
    const set = allowedRegions({ homeRegion: tenant.defaultRegion, mode: tenant.residencyMode, tenant, regions })
    t.equal(set.allow, true, `${tenant.id}: ${set.reason} ${set.detail ?? ''}`)
    t.equal(set.regions[0], tenant.defaultRegion, 'the home region heads the allowed set')
    t.type(admitAttendee(tenant.attendeePolicy, '127.1.0.1', geo).allow, 'boolean')
  }
})
