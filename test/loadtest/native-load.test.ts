/**
 * The benchmark's native load side over real loopback sockets: TypeScript allocates and
 * binds the channels, hands the ports to the C generator, and the packets go through a
 * relay (TypeScript data path) to the C echo peer and back.
 */
import t, { type Test } from 'tap'

import { onPath } from '../../loadtest/spawn-node.js'
import { startNativeEcho } from '../../loadtest/native-echo.js'
import { handOver, pickSourceAddresses, rebind, runNativeLoad, type NativeFlows } from '../../loadtest/native-load.js'
import { setupFlows } from '../../loadtest/packet-load.js'
import { turnRestCredential } from '../../relay/client/rest-credential.js'
import { startRelayNode } from '../../relay/relay-node.js'

const SECRET = 'native-load-secret'
const hasCompiler = ['cc', 'gcc', 'clang'].some((c) => onPath(c))

/** Mints as the REST API does: the username carries an expiry, so a later call can differ. */
type Mint = (i: number) => { username: string; password: string }
const mintNow: Mint = (i) => turnRestCredential(SECRET, `load-${i}`)

async function handedFlows(t: Test, count: number, credential: Mint = mintNow): Promise<NativeFlows> {
  const node = await startRelayNode({ listen: ['127.0.0.1:0'], secrets: [SECRET], realm: 'sovereign', allowPeers: ['127.0.0.0/8'], dataPath: 'ts' })
  t.teardown(() => node.close())
  const echo = await startNativeEcho()
  t.teardown(() => echo.stop())
  const udp = node.addresses.find((a) => a.transport === 'udp')!
  const peer = { family: 4 as const, address: echo.host, port: echo.port }
  const locals = await pickSourceAddresses(count)
  const flows = await setupFlows({ servers: [{ host: udp.host, port: udp.port }], count, peer, credential, local: (i) => locals[i]! })
  return handOver(flows, { peer, allocated: true })
}

t.test('the C generator moves stamped ChannelData through a relay and times every echo', { skip: !hasCompiler && 'no C compiler' }, async (t) => {
  const flows = await handedFlows(t, 8)
  t.same(new Set(flows.flows.map((f) => f.local.address)).size, 4, 'the flows come from several source addresses')
  const res = await runNativeLoad(flows, { mode: 'max', window: 4, payloadBytes: 100, warmupMs: 100, durationMs: 400, threads: 2 })
  t.ok(res.pps > 500, `round trips flowed (${res.pps.toFixed(0)}/s)`)
  t.ok(res.sent > 0 && res.received === res.sent, 'every packet sent in the window came back')
  t.equal(res.lost, 0, 'none lost')
  t.equal(res.rttUs.count, res.received, 'each one has a round-trip time')
  t.ok(res.rttUs.p50 > 0 && res.rttUs.p50 < 1_000_000, 'the round-trip times are microseconds, not raw nanoseconds')
  t.ok((res.cpu.generator ?? 0) > 0, 'the generator reports its own CPU')
  t.equal(res.load.threads, 2)
})

t.test('fixed rate offers the rate asked for, in bursts of k packets per sendmmsg', { skip: !hasCompiler && 'no C compiler' }, async (t) => {
  const flows = await handedFlows(t, 4)
  const res = await runNativeLoad(flows, { mode: 'fixed', rate: 4000, burst: 4, payloadBytes: 100, warmupMs: 100, durationMs: 500 })
  t.ok(Math.abs(res.sent - 2000) < 400, `about rate × duration sent in the window (${res.sent})`)
  t.equal(res.load.sendPackets / res.load.sendCalls, 4, 'four packets per sendmmsg')
  t.equal(res.lost, 0)
})

t.test('a re-bind from the same ports keeps the channels working', { skip: !hasCompiler && 'no C compiler' }, async (t) => {
  const flows = await handedFlows(t, 2)
  await rebind(flows)
  const res = await runNativeLoad(flows, { mode: 'max', window: 2, payloadBytes: 20, warmupMs: 50, durationMs: 200 })
  t.ok(res.received > 0 && res.lost === 0, 'packets still go through after the re-bind')
})

t.test('a re-bind uses the credential each flow allocated with, not one minted again later', { skip: !hasCompiler && 'no C compiler' }, async (t) => {
  // Each call mints a later expiry, as minting again a second later would: another username.
  let calls = 0
  const flows = await handedFlows(t, 2, (i) => turnRestCredential(SECRET, `load-${i}`, 3600 + calls++))
  await rebind(flows)
  const res = await runNativeLoad(flows, { mode: 'max', window: 2, payloadBytes: 20, warmupMs: 50, durationMs: 200 })
  t.ok(res.received > 0 && res.lost === 0, 'the re-bind was accepted (no 441) and packets still go through')
})
