import t from 'tap'

import { fleetReads, shareInFlight } from '../../../control-plane/services/fleet-reads.js'
import type { LiveRelay } from '../../../state/fleet.js'

/** A read that answers when told to, counting how often it was started. */
function gated<V>() {
  const started: string[] = []
  const gates: Array<(v: V) => void> = []
  const read = (key: string) => {
    started.push(key)
    return new Promise<V>((resolve) => gates.push(resolve))
  }
  return { read, started, open: (v: V) => gates.splice(0).forEach((g) => g(v)) }
}

t.test('reads of one key arriving together share the read in flight; another key reads on its own', async (t) => {
  const g = gated<number>()
  const shared = shareInFlight(g.read)
  const a = shared('eu-central')
  const b = shared('eu-central')
  const c = shared('us-east')
  t.same(g.started, ['eu-central', 'us-east'], 'one read per key')
  g.open(7)
  t.same(await Promise.all([a, b, c]), [7, 7, 7])
})

t.test('nothing is kept once a read has answered, nor after it failed', async (t) => {
  let n = 0
  const shared = shareInFlight(async (_key: string) => { n++; if (n === 2) throw new Error('down'); return n })
  t.equal(await shared('eu-central'), 1)
  await t.rejects(shared('eu-central'), /down/)
  t.equal(await shared('eu-central'), 3, 'a read after the answer is a new read')
})

t.test('the own region reads its own fleet, another region through the reader given, or finds none without one', async (t) => {
  const relay = { id: 'r1', region: 'eu-central' } as LiveRelay
  const other = { id: 'r2', region: 'us-east' } as LiveRelay
  const own = { liveRelays: async () => [relay] }
  t.same(await fleetReads({ region: 'eu-central', own })('us-east'), [])
  const reads = fleetReads({ region: 'eu-central', own, others: async (r) => (r === 'us-east' ? [other] : []) })
  t.same(await reads('eu-central'), [relay])
  t.same(await reads('us-east'), [other])
})
