import t from 'tap'

import { environmentKeks, regionKeks } from '../../../control-plane/keys/region-keks.js'

const region = (id: string, mediaKeks: Array<{ id: string; value: string }>) => ({ id, mediaKeks })

t.test('each configured KEK becomes a 32-byte key with its id, newest first', async (t) => {
  const keks = regionKeks(region('eu-central', [{ id: 'k2', value: 'the-newer-kek-secret' }, { id: 'k1', value: 'the-older-kek-secret' }]))
  t.same(keks.map((k) => k.id), ['k2', 'k1'])
  t.ok(keks.every((k) => k.key.length === 32))
  t.not(Buffer.from(keks[0]!.key).toString('hex'), Buffer.from(keks[1]!.key).toString('hex'))
})

t.test('one secret gives each region its own KEK', async (t) => {
  const secret = [{ id: 'k', value: 'one-secret-in-two-regions' }]
  const eu = regionKeks(region('eu-central', secret))[0]!
  const us = regionKeks(region('us-east', [...secret]))[0]!
  t.not(Buffer.from(eu.key).toString('hex'), Buffer.from(us.key).toString('hex'))
})

t.test('a loaded list is derived once; a new list (a reload) is derived again', async (t) => {
  const list = [{ id: 'k', value: 'a-kek-secret-value' }]
  const r = region('eu-central', list)
  t.equal(regionKeks(r), regionKeks(r), 'the same array for the same loaded list')
  t.not(regionKeks(region('eu-central', [...list])), regionKeks(r))
  t.same(regionKeks(region('eu-central', [])), [], 'no KEK configured')
})

t.test('the deprecated environment KEK is read only when set', async (t) => {
  t.same(environmentKeks({}, 'eu-central'), [])
  t.same(environmentKeks({ SOVEREIGN_MEDIA_KEK: '' }, 'eu-central'), [])
  const [kek] = environmentKeks({ SOVEREIGN_MEDIA_KEK: 'a-legacy-kek-secret', SOVEREIGN_MEDIA_KEK_ID: 'old' }, 'eu-central')
  t.equal(kek?.id, 'old')
  t.same(kek?.key, regionKeks(region('eu-central', [{ id: 'old', value: 'a-legacy-kek-secret' }]))[0]!.key, 'derived exactly as a configured KEK with the same secret')
})
