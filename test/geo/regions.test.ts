import t from 'tap'
import { distanceKm } from '../../geo/distance.js'
import { Regions } from '../../geo/regions.js'
import { REGION_INPUTS, jurisdictions, regions } from './support/network.js'

t.test('a region derives its jurisdictions from its country', async (t) => {
  t.same(regions.get('eu-central')?.jurisdictions, ['DE', 'EU', 'EEA', 'DACH'])
  t.same(regions.get('eea-north')?.jurisdictions, ['NO', 'EEA'])
  t.same(regions.get('ch-zurich')?.jurisdictions, ['CH', 'DACH'])
  t.match(regions.get('eu-central'), { country: 'DE', controlPlaneUrl: 'http://127.0.0.1/eu-central', redis: { memory: true } })
  t.equal(regions.get('nowhere'), undefined)
})

t.test('regions can be listed by jurisdiction', async (t) => {
  t.same(regions.inJurisdiction('EU').map((r) => r.id), ['eu-central', 'eu-west', 'eu-south'])
  t.same(regions.inJurisdiction('EEA').map((r) => r.id), ['eu-central', 'eu-west', 'eu-south', 'eea-north'])
  t.same(regions.inJurisdiction('IN').map((r) => r.id), ['in-west', 'in-south'])
})

t.test('a duplicate region or an unknown country is refused', async (t) => {
  t.throws(() => Regions.fromConfig([REGION_INPUTS[0]!, REGION_INPUTS[0]!], jurisdictions), { code: 'GEO_REGION_DUPLICATE' })
  t.throws(() => Regions.fromConfig([{ ...REGION_INPUTS[0]!, country: 'XX' }], jurisdictions), { code: 'GEO_COUNTRY_UNKNOWN' })
})

t.test('great-circle distances match known city pairs within one percent', async (t) => {
  const cases: Array<[string, { lat: number; lon: number }, { lat: number; lon: number }, number]> = [
    ['Frankfurt–Paris', { lat: 50.11, lon: 8.68 }, { lat: 48.86, lon: 2.35 }, 479],
    ['London–New York', { lat: 51.5074, lon: -0.1278 }, { lat: 40.7128, lon: -74.006 }, 5570],
    ['Mumbai–Tokyo', { lat: 19.076, lon: 72.8777 }, { lat: 35.6762, lon: 139.6503 }, 6740],
    ['antipodes', { lat: 0, lon: 0 }, { lat: 0, lon: 180 }, 20015],
  ]
  for (const [name, a, b, km] of cases) {
    const d = distanceKm(a, b)
    t.ok(Math.abs(d - km) / km < 0.01, `${name}: ${d.toFixed(0)} km ≈ ${km} km`)
    t.equal(distanceKm(b, a), d, `${name} is symmetric`)
  }
  t.equal(distanceKm({ lat: 10, lon: 10 }, { lat: 10, lon: 10 }), 0)
})
