/**
 * The state epoch (state/state-epoch.ts): a Redis that comes back empty is noticed by
 * every process that knew the old epoch, once; a restart that kept the data (AOF) is not
 * a loss. Real redis-server processes on free ports, restarted during the test.
 */
import t, { type Test } from 'tap'

import { openRegionState, type RegionState } from '../../state/region-state.js'
import type { StateLoss } from '../../state/state-epoch.js'
import { startRedisServer, uniquePrefix, type RedisServer } from './support/redis-servers.js'

const REGION = 'eu-central'

async function openState(t: Test, server: RedisServer, prefix: string, stateEpochCheckMs = 0): Promise<RegionState> {
  // The backstop check is off unless asked for: most of these prove the check on reconnect.
  const state = openRegionState({ region: REGION, redis: { url: server.url }, prefix, stateEpochCheckMs, connection: { retryBaseMs: 20, retryMaxMs: 100 } })
  t.teardown(() => state.close())
  await state.ready()
  await state.checkStateEpoch()
  return state
}

/** Every loss the state reports, and the first one as a promise. */
function losses(state: RegionState): { seen: StateLoss[]; next: Promise<StateLoss> } {
  const seen: StateLoss[] = []
  let first: (loss: StateLoss) => void = () => {}
  const next = new Promise<StateLoss>((resolve) => { first = resolve })
  state.onStateLost((loss) => {
    seen.push(loss)
    first(loss)
  })
  return { seen, next }
}

t.test('a Redis restarted empty is reported as a state loss, once, by every process that knew the data', async (t) => {
  const server = await startRedisServer()
  t.teardown(() => server.stop())
  const prefix = uniquePrefix('epoch')
  const a = await openState(t, server, prefix)
  const b = await openState(t, server, prefix)
  const la = losses(a)
  const lb = losses(b)
  const epoch = await a.connection!.command.get(a.keys.stateEpoch())
  t.type(epoch, 'string', 'the first process to connect wrote the region\'s epoch')

  await server.down()
  await server.up()
  const [lossA, lossB] = await Promise.all([la.next, lb.next])
  t.equal(lossA.previous, epoch, 'the loss names the epoch that was lost')
  t.equal(lossA.current, lossB.current, 'both processes agree on the new epoch')
  t.not(lossA.current, epoch)
  t.equal([lossA.created, lossB.created].filter(Boolean).length, 1, 'exactly one of them wrote the new epoch')
  t.equal(await a.connection!.command.get(a.keys.stateEpoch()), lossA.current, 'the new epoch is stored')

  // Another reconnect to the same, now non-empty, Redis is not a second loss.
  const id = await a.connection!.command.call('CLIENT', 'ID')
  await b.connection!.command.call('CLIENT', 'KILL', 'ID', String(id))
  await a.health.when('reconnecting')
  await a.health.when('connected')
  t.equal(await a.checkStateEpoch(), undefined)
  t.equal(await b.checkStateEpoch(), undefined)
  t.same([la.seen.length, lb.seen.length], [1, 1], 'each process reported the loss once')
})

t.test('a Redis restarted with its data (append-only file) is no loss', async (t) => {
  const server = await startRedisServer(['--appendonly', 'yes'])
  t.teardown(() => server.stop())
  const a = await openState(t, server, uniquePrefix('epoch'))
  const { seen } = losses(a)
  await server.down()
  await a.health.when('reconnecting')
  await server.up()
  await a.health.when('connected')
  t.equal(await a.checkStateEpoch(), undefined, 'the epoch survived the restart')
  t.same(seen, [], 'no loss reported')
})

t.test('a FLUSHALL, which drops no connection, is found by the backstop check', async (t) => {
  const server = await startRedisServer()
  t.teardown(() => server.stop())
  const state = await openState(t, server, uniquePrefix('epoch'), 50)
  const { next } = losses(state)
  await state.connection!.command.flushall()
  const loss = await next
  t.equal(loss.region, REGION)
  t.ok(loss.created, 'the backstop wrote the new epoch itself')
})

t.test('the memory store never reports a loss', async (t) => {
  const state = openRegionState({ region: REGION, redis: { memory: true }, prefix: uniquePrefix('epoch'), warn: () => {} })
  t.teardown(() => state.close())
  t.equal(await state.checkStateEpoch(), undefined)
})
