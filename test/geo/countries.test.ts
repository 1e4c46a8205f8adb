import t from 'tap'
import { COUNTRIES, COUNTRY_CODES, countryCentroid, countryName, isCountryCode } from '../../geo/countries.js'

t.test('the table holds all 249 officially assigned ISO 3166-1 alpha-2 codes, each once', async (t) => {
  t.equal(COUNTRIES.length, 249)
  t.equal(new Set(COUNTRY_CODES).size, 249)
  t.same([...COUNTRY_CODES].sort(), COUNTRY_CODES, 'sorted by code')
})

t.test('isCountryCode accepts real codes and refuses everything else', async (t) => {
  const cases: Array<[unknown, boolean]> = [
    ['DE', true], ['US', true], ['AX', true], ['SS', true], ['XK', false], ['ZZ', false],
    ['de', false], ['DEU', false], ['', false], [undefined, false], [42, false], ['UK', false], ['EU', false],
  ]
  for (const [code, expected] of cases) t.equal(isCountryCode(code), expected, `${String(code)} → ${expected}`)
})

t.test('countries have English names', async (t) => {
  t.equal(countryName('DE'), 'Germany')
  t.equal(countryName('JP'), 'Japan')
  t.equal(countryName('GB'), 'United Kingdom')
  t.equal(countryName('ZZ'), undefined)
})

t.test('every centroid is a valid coordinate and known ones sit where they should', async (t) => {
  for (const c of COUNTRIES) {
    t.ok(c.centroid.lat >= -90 && c.centroid.lat <= 90 && c.centroid.lon >= -180 && c.centroid.lon <= 180, c.code)
  }
  const de = countryCentroid('DE')!
  t.ok(de.lat > 47 && de.lat < 55 && de.lon > 6 && de.lon < 15, 'Germany lies within its bounding box')
  const au = countryCentroid('AU')!
  t.ok(au.lat < -10 && au.lon > 110, 'Australia is south-east')
  t.equal(countryCentroid('XX'), undefined)
})
