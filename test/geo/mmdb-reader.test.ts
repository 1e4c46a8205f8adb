import t from 'tap'
import { once } from 'node:events'
import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Reader, type Response } from 'mmdb-lib'

import { GeoError } from '../../geo/errors.js'
import { GeoDatabase, defaultDatabasePath, recordFromResponse } from '../../geo/mmdb-reader.js'
import { writeMmdb, type MmdbEntry } from './support/mmdb-writer.js'

const countryDb = (country: string): Buffer =>
  writeMmdb([{ cidr: '1.0.0.0/8', record: { country_code: country } }, { cidr: '2a00::/12', record: { country_code: country } }])

t.test('the embedded database places well-known public addresses', async (t) => {
  const db = await GeoDatabase.open()
  t.teardown(() => db.close())
  // Picked for stability: anycast resolvers, a root server, hosters and national networks
  // whose allocations have not moved in years. Verified against the shipped database.
  const cases: Array<[string, string, string]> = [
    ['8.8.8.8', 'US', 'Google Public DNS'],
    ['2001:4860:4860::8888', 'US', 'Google Public DNS over IPv6'],
    ['46.4.0.1', 'DE', 'Hetzner Online'],
    ['2a01:4f8::1', 'DE', 'Hetzner Online over IPv6'],
    ['194.25.0.1', 'DE', 'Deutsche Telekom'],
    ['164.100.0.1', 'IN', 'National Informatics Centre (India)'],
    ['14.139.0.1', 'IN', 'ERNET / National Knowledge Network (India)'],
    ['133.1.0.1', 'JP', 'Osaka University'],
    ['202.12.27.33', 'JP', 'M-root (WIDE Project)'],
    ['193.0.0.1', 'NL', 'RIPE NCC'],
  ]
  for (const [ip, country, who] of cases) t.equal(db.lookup(ip)?.country, country, `${ip} (${who}) is in ${country}`)
  t.equal(db.lookup('10.0.0.1'), null, 'a private address has no record')
  t.match(db.info, { ipVersion: 6, databaseType: String })
})

t.test('the tree walk agrees with mmdb-lib on thousands of pseudo-random addresses', async (t) => {
  const db = await GeoDatabase.open()
  t.teardown(() => db.close())
  const reference = new Reader<Response>(readFileSync(defaultDatabasePath()))
  let seed = 42
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0)
  let disagreements = 0
  let placed = 0
  for (let i = 0; i < 20_000; i++) {
    const ip = i % 2 === 0
      ? [next() >>> 24, next() >>> 24, next() >>> 24, next() >>> 24].join('.')
      : `2${(next() >>> 20).toString(16).padStart(3, '0')}:${(next() >>> 16).toString(16)}::${(next() >>> 16).toString(16)}`
    const mine = db.lookup(ip)?.country ?? null
    const theirs = (reference.get(ip) as { country_code?: string } | null)?.country_code ?? null
    if (mine !== null) placed++
    if (mine !== theirs && !(theirs !== null && mine === null && !/^[A-Z]{2}$/.test(theirs))) disagreements++
  }
  t.equal(disagreements, 0)
  t.ok(placed > 5_000, `most sampled addresses are placed (${placed})`)
})

t.test('record shapes of GeoIP2, GeoLite2, DB-IP and ip-location-db are all understood', async (t) => {
  const cases: Array<[string, unknown, object]> = [
    ['GeoIP2 City with coordinates', { country: { iso_code: 'DE' }, location: { latitude: 52.52, longitude: 13.4 } },
      { country: 'DE', source: 'database', location: { lat: 52.52, lon: 13.4 } }],
    ['GeoIP2 Country without coordinates uses the centroid', { country: { iso_code: 'FR' }, registered_country: { iso_code: 'FR' } },
      { country: 'FR', source: 'database', location: { lat: 46.228, lon: 2.214 } }],
    ['registered country when no country', { registered_country: { iso_code: 'SE' } }, { country: 'SE', source: 'database' }],
    ['ip-location-db country_code', { country_code: 'JP' }, { country: 'JP', source: 'database' }],
    ['a continent-level code is no country', { country: { iso_code: 'EU' } }, { country: null, source: 'unknown' }],
    ['an empty record is no country', {}, { country: null, source: 'unknown' }],
    ['out-of-range coordinates fall back to the centroid', { country: { iso_code: 'IT' }, location: { latitude: 123, longitude: 0 } },
      { country: 'IT', location: { lat: 41.872, lon: 12.567 } }],
  ]
  for (const [name, rec, expected] of cases) t.match(recordFromResponse(rec), expected, name)
})

t.test('a City database file yields its own coordinates through a real lookup', async (t) => {
  const dir = t.testdir()
  const path = join(dir, 'city.mmdb')
  const entries: MmdbEntry[] = [
    { cidr: '5.0.0.0/8', record: { city: { names: { en: 'Berlin' } }, country: { iso_code: 'DE', names: { en: 'Germany' } }, location: { latitude: 52.52, longitude: 13.405, accuracy_radius: 10 } } },
    { cidr: '6.0.0.0/8', record: { registered_country: { iso_code: 'NO' } } },
    { cidr: '2a00::/12', record: { country: { iso_code: 'PL' } } },
  ]
  writeFileSync(path, writeMmdb(entries, { databaseType: 'GeoIP2-City' }))
  const db = await GeoDatabase.open(path)
  t.same(db.lookup('5.1.2.3'), { country: 'DE', source: 'database', location: { lat: 52.52, lon: 13.405 } })
  t.equal(db.lookup('6.1.2.3')?.country, 'NO')
  t.equal(db.lookup('2a00:1::1')?.country, 'PL')
  t.equal(db.lookup('7.1.2.3'), null)
  t.equal(db.info.databaseType, 'GeoIP2-City')
})

t.test('an IPv4-only database answers nothing for IPv6', async (t) => {
  const dir = t.testdir()
  const path = join(dir, 'v4.mmdb')
  writeFileSync(path, writeMmdb([{ cidr: '1.0.0.0/8', record: { country_code: 'AU' } }], { ipVersion: 4 }))
  const db = await GeoDatabase.open(path)
  t.equal(db.lookup('1.2.3.4')?.country, 'AU')
  t.equal(db.lookup('::ffff:1.2.3.4')?.country, 'AU')
  t.equal(db.lookup('2001:4860::1'), null)
})

t.test('opening a missing or broken file is refused with a coded error', async (t) => {
  const dir = t.testdir({ 'garbage.mmdb': 'this is not a database', 'empty.mmdb': '' })
  const truncated = join(dir, 'truncated.mmdb')
  writeFileSync(truncated, countryDb('DE').subarray(0, 40))
  for (const path of [join(dir, 'missing.mmdb'), join(dir, 'garbage.mmdb'), join(dir, 'empty.mmdb'), truncated]) {
    await t.rejects(GeoDatabase.open(path), { name: 'GeoError', code: 'GEO_DATABASE_INVALID' }, path)
  }
})

t.test('reload swaps in a new file and a broken file keeps the old one', async (t) => {
  const dir = t.testdir()
  const path = join(dir, 'geo.mmdb')
  writeFileSync(path, countryDb('DE'))
  const db = await GeoDatabase.open(path)
  t.equal(db.lookup('1.2.3.4')?.country, 'DE')

  writeFileSync(path, countryDb('FR'))
  const reloaded = once(db, 'reload')
  const pending = db.reload()
  t.equal(db.lookup('1.2.3.4')?.country, 'DE', 'lookups keep answering from the old file while the new one loads')
  t.match(await pending, { ok: true })
  await reloaded
  t.equal(db.lookup('1.2.3.4')?.country, 'FR')

  for (const broken of [Buffer.from('garbage'), countryDb('IT').subarray(0, 60), Buffer.alloc(0)]) {
    writeFileSync(path, broken)
    const errored = once(db, 'error')
    const result = await db.reload()
    t.match(result, { ok: false, error: { code: 'GEO_DATABASE_INVALID' } })
    const [error] = await errored
    t.match(error, { code: 'GEO_DATABASE_INVALID' }, 'an error event says why')
    t.equal(db.lookup('1.2.3.4')?.country, 'FR', 'the previous database is still answering')
    t.equal(db.lookup('2a01::1')?.country, 'FR')
  }
})

t.test('a watched file is reloaded after it is replaced on disk', async (t) => {
  const dir = t.testdir()
  const path = join(dir, 'geo.mmdb')
  writeFileSync(path, countryDb('DE'))
  const db = await GeoDatabase.open(path, { watch: true, debounceMs: 5 })
  t.teardown(() => db.close())
  const reloaded = once(db, 'reload')
  // The watcher does not keep a process alive (a server has its sockets for that), so a
  // deadline holds this test open and fails it if no reload ever comes.
  const deadline = setTimeout(() => db.emit('error', new GeoError('GEO_DATABASE_INVALID', 'no reload within 10 s')), 10_000)
  t.teardown(() => clearTimeout(deadline))
  writeFileSync(join(dir, 'geo.mmdb.tmp'), countryDb('ES'))
  renameSync(join(dir, 'geo.mmdb.tmp'), path)
  await reloaded
  t.equal(db.lookup('1.2.3.4')?.country, 'ES')
})

t.test('a corrupt record the open-time probe missed answers unknown and is reported, never thrown', async (t) => {
  const dir = t.testdir()
  const path = join(dir, 'corrupt.mmdb')
  const file = writeMmdb([{ cidr: '5.0.0.0/8', record: { country_code: 'DE' } }])
  const reader = new Reader<Response>(file)
  const dataStart = reader.metadata.searchTreeSize + 16
  file[dataStart] = 0x00 // extended type …
  file[dataStart + 1] = 0xf0 // … that does not exist
  writeFileSync(path, file)
  const db = await GeoDatabase.open(path)
  const reported = once(db, 'error')
  t.same(db.lookup('5.1.2.3'), { country: null, source: 'unknown' })
  const [error] = await reported
  t.match(error, { code: 'GEO_DATABASE_INVALID', message: /corrupt record for 5\.1\.2\.3/ })
})

t.test('a closed database refuses reloads and keeps answering', async (t) => {
  const dir = t.testdir()
  const path = join(dir, 'geo.mmdb')
  writeFileSync(path, countryDb('DE'))
  const db = await GeoDatabase.open(path)
  db.close()
  db.close()
  writeFileSync(path, countryDb('FR'))
  t.match(await db.reload(), { ok: false, error: { message: 'database closed' } })
  t.equal(db.lookup('1.2.3.4')?.country, 'DE')
})

t.test('reloads asked for while one runs are coalesced and end on the newest file', async (t) => {
  const dir = t.testdir()
  const path = join(dir, 'geo.mmdb')
  writeFileSync(path, countryDb('DE'))
  const db = await GeoDatabase.open(path)
  writeFileSync(path, countryDb('FR'))
  const first = db.reload()
  writeFileSync(path, countryDb('PT'))
  const second = db.reload()
  t.equal(first, second, 'one reload in flight at a time')
  t.match(await second, { ok: true })
  t.equal(db.lookup('1.2.3.4')?.country, 'PT')
})

t.test('lookups running alongside a reload always get an answer from the old or the new file', async (t) => {
  const dir = t.testdir()
  const path = join(dir, 'geo.mmdb')
  writeFileSync(path, countryDb('DE'))
  const db = await GeoDatabase.open(path)
  writeFileSync(path, countryDb('FR'))
  let done = false
  const answers = new Set<string | null | undefined>()
  const pending = db.reload().finally(() => (done = true))
  let turns = 0
  while (!done) {
    for (let i = 0; i < 100; i++) answers.add(db.lookup(`1.2.${i}.4`)?.country)
    turns++
    await new Promise<void>((resolve) => setImmediate(resolve))
  }
  await pending
  answers.add(db.lookup('1.2.3.4')?.country)
  t.ok(turns > 0)
  t.same([...answers].sort(), ['DE', 'FR'], `only DE or FR over ${turns} event-loop turns, never a miss`)
})
