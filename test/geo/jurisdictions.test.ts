import t from 'tap'
import { BUILT_IN_JURISDICTIONS, EEA_MEMBERS, EU_MEMBERS, Jurisdictions, isReservedJurisdictionId } from '../../geo/jurisdictions.js'
import { jurisdictions } from './support/network.js'

t.test('the EU has exactly its 27 member states and the EEA adds Iceland, Liechtenstein and Norway', async (t) => {
  t.equal(EU_MEMBERS.length, 27)
  t.equal(EEA_MEMBERS.length, 30)
  const cases: Array<[string, boolean, boolean]> = [
    ['DE', true, true], ['FR', true, true], ['HR', true, true], ['IE', true, true], ['CY', true, true], ['MT', true, true],
    ['GR', true, true], ['BG', true, true], ['RO', true, true],
    ['IS', false, true], ['LI', false, true], ['NO', false, true],
    ['GB', false, false], ['CH', false, false], ['TR', false, false], ['UA', false, false], ['RS', false, false],
    ['GL', false, false], ['FO', false, false], ['US', false, false],
  ]
  const j = BUILT_IN_JURISDICTIONS
  for (const [country, eu, eea] of cases) {
    t.equal(j.contains('EU', country), eu, `${country} ${eu ? 'is' : 'is not'} in the EU`)
    t.equal(j.contains('EEA', country), eea, `${country} ${eea ? 'is' : 'is not'} in the EEA`)
  }
})

t.test('every country is its own jurisdiction and lists its memberships, its own first', async (t) => {
  t.ok(BUILT_IN_JURISDICTIONS.contains('JP', 'JP'))
  t.notOk(BUILT_IN_JURISDICTIONS.contains('JP', 'KR'))
  t.same(BUILT_IN_JURISDICTIONS.jurisdictionsOf('DE'), ['DE', 'EU', 'EEA'])
  t.same(BUILT_IN_JURISDICTIONS.jurisdictionsOf('NO'), ['NO', 'EEA'])
  t.same(BUILT_IN_JURISDICTIONS.jurisdictionsOf('CH'), ['CH'])
  t.same(jurisdictions.jurisdictionsOf('DE'), ['DE', 'EU', 'EEA', 'DACH'])
  t.same(jurisdictions.jurisdictionsOf('GB'), ['GB', 'Five-Eyes'])
  t.same(BUILT_IN_JURISDICTIONS.jurisdictionsOf('ZZ'), [])
})

t.test('an unknown jurisdiction contains nothing', async (t) => {
  t.notOk(jurisdictions.contains('Nordics', 'NO'))
  t.notOk(jurisdictions.has('Nordics'))
  t.notOk(jurisdictions.contains('eu', 'DE'), 'ids are case-sensitive')
})

t.test('operator jurisdictions may not take a built-in id or a country code, or name unknown countries', async (t) => {
  t.ok(isReservedJurisdictionId('EU'))
  t.ok(isReservedJurisdictionId('DE'))
  t.notOk(isReservedJurisdictionId('DACH'))
  const cases: Array<[Array<{ id: string; countries: string[] }>, string]> = [
    [[{ id: 'EU', countries: ['DE'] }], 'GEO_JURISDICTION_RESERVED'],
    [[{ id: 'EEA', countries: ['DE'] }], 'GEO_JURISDICTION_RESERVED'],
    [[{ id: 'US', countries: ['US'] }], 'GEO_JURISDICTION_RESERVED'],
    [[{ id: 'A', countries: ['DE'] }, { id: 'A', countries: ['FR'] }], 'GEO_JURISDICTION_RESERVED'],
    [[{ id: 'Nordics', countries: ['NO', 'XX'] }], 'GEO_COUNTRY_UNKNOWN'],
  ]
  for (const [config, code] of cases) t.throws(() => Jurisdictions.fromConfig(config), { code }, `${JSON.stringify(config)} → ${code}`)
})
