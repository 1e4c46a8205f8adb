import t from 'tap'

import { changedSections } from '../../config/config-diff.js'
import { baseDoc, baseEnv, parseDoc, type Doc } from './fixtures.js'

function diff(change: (doc: Doc) => void, env = baseEnv): string[] {
  const doc = baseDoc()
  const before = parseDoc(doc)
  change(doc)
  return changedSections(before, parseDoc(doc, env))
}

t.test('an unchanged config has no changed sections', async (t) => {
  t.same(diff(() => {}), [])
})

t.test('changes are named by section and by id', async (t) => {
  t.same(diff((d) => { d.tenants[0].security = { waitingRoom: true } }), ['tenants.acme'])
  t.same(diff((d) => { d.regions[1].relays.push({ id: 'us-2', listen: ['127.2.0.2:3478'] }) }), ['regions.us-east'])
  t.same(diff((d) => { d.geo.overrides.pop() }), ['geo'])
  t.same(diff((d) => { d.relay.credentialTtlSeconds = 600 }), ['relay'])
  t.same(diff((d) => { d.tenants.pop() }), ['tenants.beta'])
  t.same(diff((d) => { d.jurisdictions.push({ id: 'BENELUX', countries: ['BE', 'NL', 'LU'] }) }), ['jurisdictions.BENELUX'])
})

t.test('a rotated secret from the environment is a change of its region', async (t) => {
  t.same(diff(() => {}, { ...baseEnv, US_RELAY_SECRET: 'rotated-us-relay-secret' }), ['regions.us-east'])
})

t.test('reordering keys is not a change, reordering a list is', async (t) => {
  t.same(diff((d) => { d.regions[0] = Object.fromEntries(Object.entries(d.regions[0] as object).reverse()) }), [])
  t.same(diff((d) => { d.regions.reverse() }), ['regions'])
})
