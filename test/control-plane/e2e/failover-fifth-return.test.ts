/**
 * A call that comes back to the same relay a fifth time within one allocation lifetime
 * (issue 12's call continuity, with the idle eviction of handle-allocate.ts). libdatachannel
 * never releases a closed connection's TURN allocation, so after four visits each peer holds
 * the participant quota (4) of stale allocations on that relay; the fifth Allocate must
 * replace the one of them that has relayed nothing longest rather than be refused (486).
 * Here idle means 2 s (`relay.quotas.evictIdleAfterSeconds`; 30 s by default), so eight
 * drains back and forth between eu-a and eu-b take the call to eu-a five times in all.
 */
import nodeDataChannel from 'node-datachannel'
import t from 'tap'

import { FailoverNetwork, TEST_TIMING, type Call, type RelayId } from '../../../loadtest/failover-harness.js'

const DRAINS = 8

let net: FailoverNetwork
let call: Call

t.before(async () => {
  net = await FailoverNetwork.start(TEST_TIMING, 'redis://127.0.0.1:6379', { evictIdleAfterSeconds: 2 })
  await net.startRelay('eu-a')
  call = await net.call()
  await call.nextEcho(20_000)
  await net.startRelay('eu-b')
})

t.teardown(async () => {
  await call?.close()
  nodeDataChannel.cleanup()
  await net?.close()
})

t.test(`a call drained back and forth ${DRAINS} times returns to eu-a a fifth time, past the quota its stale allocations fill`, async (t) => {
  let from: RelayId = 'eu-a'
  const visits: Record<string, number> = { 'eu-a': 1, 'eu-b': 0 }
  for (let i = 1; i <= DRAINS; i++) {
    const to: RelayId = from === 'eu-a' ? 'eu-b' : 'eu-a'
    for (let k = 0; k < 5; k++) await call.nextEcho()
    await net.drain(from)
    const moved = await call.movedTo(to, 8000)
    t.ok(moved, `drain ${i}: the call moved from ${from} to ${to} (visit ${visits[to]! + 1} there)`)
    if (!moved) break
    visits[to]!++
    for (let k = 0; k < 5; k++) await call.nextEcho(5000)
    await net.undrain(from)
    from = to
  }
  t.equal(visits['eu-a'], 5, 'eu-a carried the call five times: four stale allocations per peer were there the last time')
})
