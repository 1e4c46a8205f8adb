import t from 'tap'

import { fleetChanges, RelayWatch, snapshotOf, type RelayChange } from '../../../control-plane/signaling/relay-watch.js'
import type { LiveRelay } from '../../../state/fleet.js'

const snap = (entries: Record<string, boolean>) => snapshotOf(Object.entries(entries).map(([id, draining]) => ({ id, draining })))

t.test('fleet changes: a relay gone is lost, one that starts draining drains, nothing else moves a call', async (t) => {
  const cases: Array<[string, Record<string, boolean>, Record<string, boolean>, Array<[string, RelayChange['cause']]>]> = [
    ['nothing changed', { a: false, b: false }, { a: false, b: false }, []],
    ['a relay left the fleet', { a: false, b: false }, { b: false }, [['a', 'relay-lost']]],
    ['a relay started draining', { a: false, b: false }, { a: true, b: false }, [['a', 'relay-draining']]],
    ['a draining relay that then goes is lost (whoever still holds it moves)', { a: true, b: false }, { b: false }, [['a', 'relay-lost']]],
    ['a relay still draining', { a: true }, { a: true }, []],
    ['a relay stopped draining', { a: true }, { a: false }, []],
    ['a new relay joined', { a: false }, { a: false, c: false }, []],
    ['two relays gone, in id order', { b: false, a: false, c: false }, { c: false }, [['a', 'relay-lost'], ['b', 'relay-lost']]],
  ]
  for (const [name, before, after, want] of cases) {
    t.same(fleetChanges('eu', snap(before), snap(after)).map((c) => [c.relayId, c.cause]), want, name)
  }
})

const relay = (id: string, draining = false) => ({ id, draining }) as LiveRelay

t.test('the watch reports each change once, takes its first read as a baseline and never reads an outage as a loss', async (t) => {
  let fleet: LiveRelay[] | Error = [relay('a'), relay('b')]
  const changes: RelayChange[] = []
  const errors: string[] = []
  const watch = new RelayWatch({
    regions: () => ['eu'], intervalMs: 60_000,
    liveRelays: async () => { if (fleet instanceof Error) throw fleet; return fleet },
    onChange: (c) => changes.push(c), log: (_err, message) => errors.push(message),
  })
  t.teardown(() => watch.close())
  await watch.tick()
  t.same(changes, [], 'the first read is a baseline')
  fleet = new Error('redis down')
  await watch.tick()
  t.same(changes, [], 'an unreadable fleet moves nobody')
  t.equal(errors.length, 1, 'and is logged')
  fleet = [relay('b')]
  await watch.tick()
  t.same(changes, [{ region: 'eu', relayId: 'a', cause: 'relay-lost' }], 'a relay gone since the last good read is lost')
  await watch.tick()
  t.equal(changes.length, 1, 'once')
  fleet = [relay('b', true)]
  await watch.tick()
  t.same(changes.at(-1), { region: 'eu', relayId: 'b', cause: 'relay-draining' })
  await watch.tick()
  t.equal(changes.length, 2, 'a drain is reported once')
})
