/**
 * A call fails over again and again within one TURN allocation lifetime, with the default
 * quota of 4 allocations per participant (issue 12). libdatachannel never releases the TURN
 * allocation of a connection it closes (libjuice sends no Refresh with lifetime 0; the
 * relay frees it when its lifetime, 600 s, runs out), and a relay that drains and comes back
 * still holds them. So each failover must cost each peer exactly one new connection: on
 * `ice-restart` only the impolite side offers, the polite side waits for that offer. Were the
 * polite side to rebuild as well and throw that connection away on the offer collision, it
 * would hold two allocations per visit and its fourth Allocate on a relay would be refused
 * (486) on the third drain.
 *
 * The call is drained back and forth between eu-a and eu-b six times: eu-a carries it four
 * times in all (the first connection and three returns), one allocation per peer each, so
 * each peer's quota on eu-a is full, and eu-b holds three. Then SIGKILL eu-a (the call moves
 * to eu-b, its fourth) and, with eu-a restarted, eu-b (the call moves back to eu-a): the
 * allocations of a relay that died went with it, so the restarted eu-a counts none of them.
 */
import nodeDataChannel from 'node-datachannel'
import t from 'tap'

import type { IceRestartMessage } from '../../../control-plane/protocol/server-messages.js'
import { FailoverNetwork, type Call, type RelayId } from '../../../loadtest/failover-harness.js'

const DRAINS = 6

let net: FailoverNetwork
let call: Call
const restarts: Array<{ who: 'alice' | 'bob'; message: IceRestartMessage }> = []
const rebuilt = { alice: 0, bob: 0 }

t.before(async () => {
  net = await FailoverNetwork.start()
  await net.startRelay('eu-a')
  call = await net.call()
  for (const [who, client] of [['alice', call.a], ['bob', call.b]] as const) client.on('ice-restart', (message) => restarts.push({ who, message }))
  call.linkA.on('rebuilt', () => rebuilt.alice++)
  call.linkB.on('rebuilt', () => rebuilt.bob++)
  await call.nextEcho(20_000)
  await net.startRelay('eu-b')
})

t.teardown(async () => {
  await call?.close()
  nodeDataChannel.cleanup()
  await net?.close()
})

t.test(`a call drained back and forth ${DRAINS} times with the default quota moves every time, one new connection per peer per move`, async (t) => {
  let from: RelayId = 'eu-a'
  for (let i = 1; i <= DRAINS; i++) {
    const to: RelayId = from === 'eu-a' ? 'eu-b' : 'eu-a'
    for (let k = 0; k < 5; k++) await call.nextEcho()
    const drainedAt = performance.now()
    await net.drain(from)
    const moved = await call.movedTo(to, 8000)
    t.ok(moved, `drain ${i}: the call moved from ${from} to ${to}`)
    if (!moved) break
    for (let k = 0; k < 5; k++) await call.nextEcho(5000)
    t.ok(call.gapSince(drainedAt) < 1000, `drain ${i}: longest silence ${Math.round(call.gapSince(drainedAt))} ms`)
    await net.undrain(from)
    from = to
  }
  t.same(restarts.filter((r) => r.message.reason === 'relay-draining').length, 2 * DRAINS, 'one ice-restart per peer per drain')
  t.same(rebuilt, { alice: DRAINS, bob: DRAINS }, 'and one new connection per peer per drain: none thrown away on an offer collision')
})

t.test('then two SIGKILLs: onto eu-b, whose quota that fills, and back onto a restarted eu-a, which counts nothing of the eu-a that died', async (t) => {
  for (const [victim, to] of [['eu-a', 'eu-b'], ['eu-b', 'eu-a']] as const) {
    for (let k = 0; k < 5; k++) await call.nextEcho()
    const killedAt = performance.now()
    await net.kill(victim)
    const moved = await call.movedTo(to, 10_000)
    t.ok(moved, `${victim} killed: the call moved to ${to}`)
    if (!moved) return
    await call.nextEcho(5000)
    t.pass(`data flowed again ${Math.round(call.echoes.find((at) => at > killedAt)! - killedAt)} ms after the SIGKILL`)
    await net.startRelay(victim)
  }
  t.same(restarts.filter((r) => r.message.reason === 'relay-lost').length, 4, 'one ice-restart per peer per kill')
  t.same(rebuilt, { alice: DRAINS + 2, bob: DRAINS + 2 }, 'and one new connection per peer per kill')
})
