import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'

import { GeoLocator, openGeoLookup } from '../../geo/lookup.js'
import { GeoDatabase } from '../../geo/mmdb-reader.js'
import { writeMmdb } from './support/mmdb-writer.js'

const overrides = [
  { cidr: '127.1.0.0/16', country: 'DE', note: 'local network: region eu-central' },
  { cidr: '127.1.2.0/24', country: 'FR' },
  { cidr: '8.8.8.0/24', country: 'CH', note: 'anycast pinned by the operator' },
  { cidr: 'fd00:1::/32', country: 'IN' },
]

t.test('lookups compose override, reserved range and database in that order', async (t) => {
  const geo = await openGeoLookup({ overrides })
  t.teardown(() => geo.close({ closeDatabase: true }))
  const cases: Array<[string, string | null, string, string]> = [
    ['127.1.9.9', 'DE', 'override', 'a loopback override stands for a country'],
    ['127.1.2.3', 'FR', 'override', 'the longer override prefix wins'],
    ['::ffff:127.1.2.3', 'FR', 'override', 'IPv4-mapped IPv6 meets the IPv4 override'],
    ['8.8.8.8', 'CH', 'override', 'an override wins over the database'],
    ['8.8.4.4', 'US', 'database', 'outside the override the database answers'],
    ['[fd00:1::5]:3478', 'IN', 'override', 'bracketed IPv6 with a port meets the IPv6 override'],
    ['127.0.0.1', null, 'reserved', 'loopback without an override is reserved'],
    ['10.1.2.3', null, 'reserved', 'private IPv4 is reserved'],
    ['192.168.1.1', null, 'reserved', 'private IPv4 is reserved'],
    ['169.254.169.254', null, 'reserved', 'cloud metadata is reserved'],
    ['100.64.0.1', null, 'reserved', 'carrier-grade NAT space is reserved'],
    ['::ffff:10.0.0.1', null, 'reserved', 'mapped private IPv4 is reserved'],
    ['::1', null, 'reserved', 'IPv6 loopback is reserved'],
    ['fe80::1%eth0', null, 'reserved', 'link-local with a zone is reserved'],
    ['fd12::1', null, 'reserved', 'unique local IPv6 is reserved'],
    ['2001:db8::1', null, 'reserved', 'documentation IPv6 is reserved'],
    ['224.0.0.1', null, 'reserved', 'multicast is reserved'],
    ['::ffff:46.4.0.1', 'DE', 'database', 'mapped public IPv4 is looked up as IPv4'],
    ['2a01:4f8::1', 'DE', 'database', 'public IPv6 is looked up in the database'],
    ['not-an-ip', null, 'unknown', 'garbage is unknown'],
    ['', null, 'unknown', 'the empty string is unknown'],
  ]
  for (const [ip, country, source, why] of cases) {
    const r = geo.lookup(ip)
    t.equal(r.country, country, `${why}: ${ip} → ${country}`)
    t.equal(r.source, source, `${why}: source ${source}`)
    t.equal(r.location === undefined, country === null, `${ip} has a location exactly when it has a country`)
  }
})

t.test('a cached answer is the same as an uncached one', async (t) => {
  const geo = await openGeoLookup({ overrides }, { cacheSize: 4 })
  t.teardown(() => geo.close({ closeDatabase: true }))
  for (let round = 0; round < 3; round++) {
    for (const ip of ['8.8.8.8', '127.1.2.3', '46.4.0.1', '10.0.0.1', '133.1.0.1', 'x', '2a01:4f8::1']) {
      t.same(geo.lookup(ip), geo.lookupUncached(ip), `${ip} round ${round}`)
    }
  }
})

t.test('overrides and database reloads invalidate cached answers', async (t) => {
  const dir = t.testdir()
  const path = join(dir, 'geo.mmdb')
  writeFileSync(path, writeMmdb([{ cidr: '1.0.0.0/8', record: { country_code: 'DE' } }]))
  const db = await GeoDatabase.open(path)
  const geo = new GeoLocator({ database: db })
  t.equal(geo.lookup('1.2.3.4').country, 'DE')
  writeFileSync(path, writeMmdb([{ cidr: '1.0.0.0/8', record: { country_code: 'AT' } }]))
  t.match(await db.reload(), { ok: true })
  t.equal(geo.lookup('1.2.3.4').country, 'AT', 'the reload cleared the cache')
  geo.setOverrides([{ cidr: '1.2.0.0/16', country: 'LU' }])
  t.equal(geo.lookup('1.2.3.4').country, 'LU', 'new overrides apply at once')
  t.throws(() => geo.setOverrides([{ cidr: '1.2.3.0/16', country: 'LU' }]), { code: 'GEO_CIDR_INVALID' })
  t.equal(geo.lookup('1.2.3.4').country, 'LU', 'a refused override set leaves the previous one in force')
  geo.close()
})

t.test('without a database only overrides and reserved ranges answer', async (t) => {
  const geo = new GeoLocator({ database: null, overrides })
  t.equal(geo.lookup('127.1.0.1').country, 'DE')
  t.same(geo.lookup('8.8.4.4'), { country: null, source: 'unknown' })
  t.same(geo.lookup('10.0.0.1'), { country: null, source: 'reserved' })
})

t.test('text too long to be an address is unknown, cached or not', async (t) => {
  const geo = new GeoLocator({ database: null, overrides, cacheSize: 100 })
  t.same(geo.lookup('1'.repeat(10_000)), { country: null, source: 'unknown' })
  t.same(geo.lookup(`127.1.0.1${' '.repeat(100)}`), { country: null, source: 'unknown' })
})
