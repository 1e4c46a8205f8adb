import t from 'tap'
import { countryCentroid } from '../../../geo/countries.js'
import { rankRelays, type RelayDescriptor } from '../../../geo/policy/relay-ranking.js'
import { regions } from '../support/network.js'

type Over = Partial<Omit<RelayDescriptor, 'load'>> & { load?: number }
const relay = (id: string, region: string, { load = 0, ...over }: Over = {}): RelayDescriptor => ({
  id, region, healthy: true, draining: false, load: { allocations: load }, capacity: 100, ...over,
})

const paris = { location: { lat: 48.86, lon: 2.35 } }
const mumbai = { location: { lat: 19.08, lon: 72.88 } }
const EU = ['eu-central', 'eu-west', 'eu-south']
const ids = (r: ReturnType<typeof rankRelays>) => (r.ok ? r.relays.map((x) => x.id) : r.reason)

t.test('relays are ranked by distance to the participant, then load, then id', async (t) => {
  const relays = [
    relay('fra-1', 'eu-central', { load: 50 }),
    relay('fra-2', 'eu-central', { load: 10 }),
    relay('par-2', 'eu-west', { load: 90 }),
    relay('par-1', 'eu-west', { load: 90 }),
    relay('mil-1', 'eu-south'),
  ]
  t.same(ids(rankRelays({ relays, allowedRegions: EU, regions, participant: paris })), ['par-1', 'par-2', 'fra-2', 'fra-1', 'mil-1'],
    'a participant in Paris gets Paris first, ties by id')
  t.same(ids(rankRelays({ relays, allowedRegions: EU, regions, participant: { location: countryCentroid('IT')! } })), ['mil-1', 'fra-2', 'fra-1', 'par-1', 'par-2'],
    'a participant placed only by country centroid gets the nearest region to it')
  t.same(ids(rankRelays({ relays, allowedRegions: EU, regions, participant: { location: undefined } })), ['mil-1', 'fra-2', 'fra-1', 'par-1', 'par-2'],
    'an unplaced participant is equally far from all: least loaded first')
  t.same(ids(rankRelays({ relays, allowedRegions: EU, regions })), ['mil-1', 'fra-2', 'fra-1', 'par-1', 'par-2'])
  t.same(ids(rankRelays({ relays, allowedRegions: EU, regions, participant: paris, limit: 2 })), ['par-1', 'par-2'])
})

t.test('load is compared as utilisation, not absolute allocations', async (t) => {
  const relays = [relay('big', 'eu-central', { load: 500, capacity: 10_000 }), relay('small', 'eu-central', { load: 50, capacity: 100 })]
  t.same(ids(rankRelays({ relays, allowedRegions: EU, regions, participant: paris })), ['big', 'small'])
})

t.test('the ranking is the same whatever order the relays arrive in', async (t) => {
  const relays = [relay('a', 'eu-central', { load: 5 }), relay('b', 'eu-central', { load: 5 }), relay('c', 'eu-west'), relay('d', 'eu-south', { load: 5 })]
  const expected = ids(rankRelays({ relays, allowedRegions: EU, regions, participant: mumbai }))
  const orders = relays.flatMap((_, i) => {
    const rotated = [...relays.slice(i), ...relays.slice(0, i)]
    return [rotated, [...rotated].reverse()]
  })
  for (const shuffled of orders) {
    t.same(ids(rankRelays({ relays: shuffled, allowedRegions: new Set(EU), regions, participant: mumbai })), expected)
  }
})

t.test('only healthy, non-draining relays with spare capacity in the allowed set are offered', async (t) => {
  const relays = [
    relay('us-1', 'us-east'), // outside the set, nearest to nothing in particular
    relay('zrh-1', 'ch-zurich'), // outside the set, nearest to Frankfurt
    relay('fra-sick', 'eu-central', { healthy: false }),
    relay('fra-drain', 'eu-central', { draining: true }),
    relay('fra-full', 'eu-central', { load: 100, capacity: 100 }),
    relay('fra-over', 'eu-central', { load: 150, capacity: 100 }),
    relay('fra-nan', 'eu-central', { load: Number.NaN }),
    relay('fra-zero', 'eu-central', { capacity: 0 }),
    relay('mil-ok', 'eu-south', { load: 99 }),
  ]
  t.same(ids(rankRelays({ relays, allowedRegions: EU, regions, participant: paris })), ['mil-ok'])
})

t.test('with no capacity in the allowed set the answer is a refusal, never a relay outside it', async (t) => {
  const outside = [relay('us-1', 'us-east'), relay('in-1', 'in-west'), relay('zrh-1', 'ch-zurich')]
  const cases: Array<[string, RelayDescriptor[]]> = [
    ['no relays at all', []],
    ['only relays outside the set', outside],
    ['every relay of the set full, plenty outside', [...outside, relay('fra-1', 'eu-central', { load: 100 }), relay('par-1', 'eu-west', { load: 100 })]],
    ['every relay of the set unhealthy or draining', [...outside, relay('fra-1', 'eu-central', { healthy: false }), relay('par-1', 'eu-west', { draining: true })]],
  ]
  for (const [why, relays] of cases) {
    const r = rankRelays({ relays, allowedRegions: EU, regions, participant: paris })
    t.match(r, { ok: false, reason: 'no_capacity_in_allowed_regions' }, why)
  }
  const r = rankRelays({ relays: [relay('fra-1', 'eu-central', { load: 100 })], allowedRegions: EU, regions })
  t.match(r, { ok: false, detail: /1 relays in allowed regions.*1 full/ }, 'the refusal says what was found')
  t.match(rankRelays({ relays: outside, allowedRegions: [], regions }), { ok: false }, 'an empty allowed set offers nothing')
})

t.test('a relay whose region has no known coordinates is offered last, not dropped', async (t) => {
  const relays = [relay('ghost-1', 'eu-ghost'), relay('fra-1', 'eu-central', { load: 90 })]
  t.same(ids(rankRelays({ relays, allowedRegions: [...EU, 'eu-ghost'], regions, participant: paris })), ['fra-1', 'ghost-1'])
})

t.test('the caller gets its own relay objects back', async (t) => {
  const mine = { ...relay('fra-1', 'eu-central'), secretId: 's1' }
  const r = rankRelays({ relays: [mine], allowedRegions: EU, regions })
  t.equal(r.ok && r.relays[0], mine)
})

t.test('fleet registry relays rank as they are: live means healthy unless told otherwise', async (t) => {
  // the shape of state/fleet.ts LiveRelay
  const live = (id: string, region: string, allocations: number, draining = false) => ({
    id, region, udp: ['127.1.0.1:3478'], tcp: [], capacity: 100, version: '0.1.0', startedAt: 0, sentAt: 0, expiresAt: 0,
    draining, load: { allocations, packetsPerSecond: 0, bytesPerSecond: 0, cpu: 0 },
  })
  const r = rankRelays({ relays: [live('b', 'eu-central', 10), live('a', 'eu-central', 10), live('c', 'eu-central', 5, true), live('d', 'eu-central', 100)], allowedRegions: EU, regions })
  t.same(ids(r), ['a', 'b'])
})

t.test('a relay with a missing or malformed load is not offered', async (t) => {
  const broken = { id: 'x', region: 'eu-central', draining: false, capacity: 100, load: undefined } as unknown as RelayDescriptor
  t.match(rankRelays({ relays: [broken], allowedRegions: EU, regions }), { ok: false })
})
