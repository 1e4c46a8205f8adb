/**
 * Calls survive a relay's death (issue 12): two node-datachannel peers (the SDK's
 * SignalClient + NodePeerLink, v1.1) in a call through relay eu-a of eu-central, which
 * has two relays; us-east's relay is live all along. Each relay is a process of its own
 * heartbeating with a 1 s TTL. SIGKILL eu-a: the control plane sends each peer one
 * `ice-restart` naming eu-b only, and data flows again through eu-b (relay/relay pair at
 * eu-b's address), never through us-east. Then a drain of eu-b moves the call back to a
 * restarted eu-a with no gap over 1 s. Then with every relay of the allowed set gone, a
 * coded refusal (SR_NO_RELAY_AVAILABLE) and no relay of another region. The audit stream
 * shows each failover: which relay, why, when.
 */
import nodeDataChannel from 'node-datachannel'
import t from 'tap'

import type { ErrorMessageShape, IceRestartMessage } from '../../../control-plane/protocol/server-messages.js'
import { FailoverNetwork, RELAY_IPS, type Call } from '../../../loadtest/failover-harness.js'

let net: FailoverNetwork
let call: Call
const restarts: Array<{ who: 'alice' | 'bob'; message: IceRestartMessage }> = []
const refusals: Array<{ who: 'alice' | 'bob'; message: ErrorMessageShape }> = []

t.before(async () => {
  net = await FailoverNetwork.start()
  await Promise.all([net.startRelay('eu-a'), net.startRelay('us-a')])
  call = await net.call()
  for (const [who, client] of [['alice', call.a], ['bob', call.b]] as const) {
    client.on('ice-restart', (message) => restarts.push({ who, message }))
    client.on('error', (message) => refusals.push({ who, message }))
  }
})

t.teardown(async () => {
  await call?.close()
  nodeDataChannel.cleanup()
  await net?.close()
})

/** Resolves once `n` more echoes arrived (the probe runs every 20 ms). */
async function echoes(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await call.nextEcho()
}

const relayUrlsOf = (m: IceRestartMessage) => m.iceServers.flatMap((s) => s.urls)

t.test('a SIGKILLed relay: each peer gets one ice-restart to the other relay of the region, and data flows through it again', async (t) => {
  await call.nextEcho(20_000)
  t.same(call.selectedPairs().map((p) => [p.local, p.remote]), [[RELAY_IPS['eu-a'], RELAY_IPS['eu-a']], [RELAY_IPS['eu-a'], RELAY_IPS['eu-a']]], 'the call runs through eu-a')
  const b = await net.startRelay('eu-b')

  const killedAt = performance.now()
  await net.kill('eu-a')
  await call.nextEcho(10_000)
  const resumedAfter = call.echoes.find((at) => at > killedAt)! - killedAt
  t.pass(`data flowed again ${Math.round(resumedAfter)} ms after SIGKILL (heartbeat TTL ${net.timing.heartbeatTtlMs} ms)`)
  t.ok(resumedAfter < 6000, 'within a few seconds of the kill (TTL + fleet watch + a new connection)')

  for (const p of call.selectedPairs()) {
    t.same([p.localType, p.remoteType], ['relay', 'relay'], 'the selected pair is relay/relay')
    t.same([p.local, p.remote], [RELAY_IPS['eu-b'], RELAY_IPS['eu-b']], "at eu-b's address, not us-east's")
  }
  await echoes(25) // > two fleet reads more: a second ice-restart for the same event would show by now
  const lost = restarts.filter((r) => r.message.reason === 'relay-lost')
  t.same(lost.map((r) => [r.who, r.message.relayId]).sort(), [['alice', 'eu-a'], ['bob', 'eu-a']], 'exactly one ice-restart per participant, naming the dead relay')
  for (const r of lost) t.same(relayUrlsOf(r.message), [`turn:${b.udp}?transport=udp`, `turn:${b.udp}?transport=tcp`], 'with eu-b only: the allowed set, live')
  t.match(lost[0]!.message.iceServers[0]!.username, `:${call.meetingId}:`, 'and a fresh meeting-scoped credential')

  const audit = (await net.state.audit.read(call.meetingId)).filter((e) => e.kind === 'relay-failover')
  t.same(audit.map((e) => [e.participantId, e.relayId, e.reason, e.allow, e.detail]).sort(), [
    [call.aliceId, 'eu-a', 'relay_lost', true, 'to eu-b'], [call.bobId, 'eu-a', 'relay_lost', true, 'to eu-b'],
  ].sort(), 'the audit stream says which relay, why and where to')
  t.ok(audit.every((e) => e.at >= Date.now() - 60_000 && e.region === 'eu-central'), 'when, and by the home region')
})

t.test('a drain moves the call to another relay of the region with no gap over 1 s', async (t) => {
  await net.startRelay('eu-a')
  await echoes(5)
  const drainedAt = performance.now()
  await net.drain('eu-b')
  t.teardown(() => net.undrain('eu-b'))
  const moved = new Promise<void>((resolve) => {
    const check = () => (call.selectedPairs().every((p) => p.local === RELAY_IPS['eu-a']) ? resolve() : setTimeout(check, 20).unref())
    check()
  })
  await moved
  await echoes(10)
  const gap = call.gapSince(drainedAt)
  t.ok(gap < 1000, `longest silence while moving off the draining relay: ${Math.round(gap)} ms`)
  const drained = restarts.filter((r) => r.message.reason === 'relay-draining')
  t.same(drained.map((r) => [r.who, r.message.relayId]).sort(), [['alice', 'eu-b'], ['bob', 'eu-b']], 'one ice-restart each, naming the draining relay')
  for (const p of call.selectedPairs()) t.same([p.local, p.remote], [RELAY_IPS['eu-a'], RELAY_IPS['eu-a']], 'now through eu-a')
  const audit = (await net.state.audit.read(call.meetingId)).filter((e) => e.kind === 'relay-failover' && e.reason === 'relay_draining')
  t.equal(audit.length, 2, 'both moves are audited as relay_draining')
})

t.test('with the last relay of the allowed set gone: a coded refusal, and no relay of another region', async (t) => {
  await net.kill('eu-b')
  await net.gone('eu-b') // nobody was handed it any more; let it leave first, so eu-a is the last
  const before = restarts.length
  const refused = new Promise<void>((resolve) => {
    const check = () => (refusals.length >= 2 ? resolve() : setTimeout(check, 20).unref())
    check()
  })
  await net.kill('eu-a')
  await refused
  t.same(refusals.map((r) => [r.who, r.message.code]).sort(), [['alice', 'SR_NO_RELAY_AVAILABLE'], ['bob', 'SR_NO_RELAY_AVAILABLE']], 'each peer is told no relay of the set is left')
  t.match(refusals[0]!.message.message, /eu-a/, 'naming the relay that went')
  t.equal(restarts.length, before, 'and is sent no ICE servers at all: us-east is live but outside the set')
  t.ok((await net.state.fleet.liveRelays()).length === 0, 'eu-central has no live relay')
  const audit = (await net.state.audit.read(call.meetingId)).filter((e) => e.kind === 'relay-failover' && !e.allow)
  t.same(audit.map((e) => [e.relayId, e.reason, e.detail]), [['eu-a', 'relay_lost', 'no relay of the allowed set left'], ['eu-a', 'relay_lost', 'no relay of the allowed set left']], 'the refusal is audited')
  const issued = (await net.state.audit.read(call.meetingId)).filter((e) => e.kind === 'relay-issued' && e.allow)
  t.ok(issued.every((e) => e.relayId === 'eu-a' || e.relayId === 'eu-b'), 'no relay outside eu-central was ever issued')
})
