/**
 * `sovereign relay drain|undrain <relayId> --region <id> --config <file>` talks to the
 * region's control plane (admin API) over real HTTP on loopback; a real in-process relay
 * learns the drain on its next beat. The region state is the real Redis under a unique prefix.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { Command } from 'commander'
import t from 'tap'

import { registerRelay } from '../../../cli/commands/relay.js'
import { startRegionRelay } from '../../../relay/region/region-relay.js'
import { bearer, dropPrefix, network, startRegion } from '../../control-plane/app/fixture.js'

const net = network()
const eu = await startRegion(net, 'eu-central')
await eu.app.listen({ host: '127.0.0.1', port: 0 })
const cpUrl = `http://127.0.0.1:${(eu.app.server.address() as { port: number }).port}`
// The test beats by hand (beatNow); the long TTL keeps a slow machine from expiring the relay meanwhile.
const relay = await startRegionRelay({ config: net.config, region: 'eu-central', id: 'eu-central-1', listen: ['127.0.0.1:0'], metrics: null, statePrefix: net.prefix, heartbeatMs: 60_000, heartbeatTtlMs: 600_000 })
const dir = await mkdtemp(join(tmpdir(), 'sovereign-drain-'))
const configFile = join(dir, 'network.yaml')
await writeFile(configFile, net.text)
t.teardown(async () => {
  await relay.close()
  await dropPrefix(eu.state, net.prefix)
  await eu.close()
  await rm(dir, { recursive: true, force: true })
})

/** Runs `sovereign relay …` in-process with captured output and exit code. */
async function sovereign(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  let code = 0
  const program = new Command('sovereign').exitOverride()
  registerRelay(program, { out: { write: (s: string) => { out += s } }, err: { write: (s: string) => { err += s } }, setExitCode: (c) => { code = c }, env: {}, sleep: async () => {} })
  await program.parseAsync(['relay', ...args], { from: 'user' })
  return { code, out, err }
}
const withKey = ['--config', configFile, '--control-plane', cpUrl, '--admin-key', net.keys.admin]

t.test('sovereign relay drain stores the request, the relay refuses new allocations on its next beat, and undrain brings it back', async (t) => {
  const drained = await sovereign('drain', 'eu-central-1', '--region', 'eu-central', '--reason', 'kernel upgrade', ...withKey)
  t.equal(drained.code, 0, drained.err)
  t.match(drained.out, /relay eu-central-1 of eu-central: draining \(requested by admin:ops-1 at .*, reason: kernel upgrade\)/)
  t.match(drained.out, /sovereign relay undrain eu-central-1 --region eu-central/, 'it says how to undo it')
  t.same((await eu.state.fleet.drainRequests()).map((r) => [r.relayId, r.by, r.reason]), [['eu-central-1', 'admin:ops-1', 'kernel upgrade']])
  await relay.heartbeat.beatNow()
  t.equal(relay.node.server.draining, true, 'the relay drains on its next beat')

  const undrained = await sovereign('undrain', 'eu-central-1', '--region', 'eu-central', ...withKey)
  t.equal(undrained.code, 0, undrained.err)
  t.match(undrained.out, /drain request cancelled/)
  await relay.heartbeat.beatNow()
  t.equal(relay.node.server.draining, false)

  const viaCancel = await sovereign('--region', 'eu-central', 'drain', 'eu-central-1', '--cancel', ...withKey)
  t.equal(viaCancel.code, 0, viaCancel.err)
  t.match(viaCancel.out, /had no drain request/, '--cancel is undrain, and options before the subcommand count')
})

t.test('drain --wait-empty returns once the relay holds no allocation', async (t) => {
  const res = await sovereign('drain', 'eu-central-1', '--region', 'eu-central', '--wait-empty', '5', ...withKey)
  t.equal(res.code, 0, res.err)
  t.match(res.out, /relay eu-central-1: no allocation left; safe to stop it/)
  await eu.app.inject({ method: 'DELETE', url: '/v1/admin/regions/eu-central/relays/eu-central-1/drain', headers: bearer(net.keys.admin) })
})

t.test('an unknown relay, a missing region, a wrong key and an unreachable control plane fail with a clear message', async (t) => {
  const unknown = await sovereign('drain', 'eu-central-9', '--region', 'eu-central', ...withKey)
  t.equal(unknown.code, 1)
  t.match(unknown.err, /404 SR_RELAY_NOT_FOUND/)
  const noRegion = await sovereign('drain', 'eu-central-1', '--config', configFile)
  t.equal(noRegion.code, 2)
  t.match(noRegion.err, /--region <id> is required/)
  const badRegion = await sovereign('drain', 'eu-central-1', '--region', 'mars-1', '--config', configFile)
  t.equal(badRegion.code, 2)
  t.match(badRegion.err, /no region "mars-1"/)
  const tenantKey = await sovereign('drain', 'eu-central-1', '--region', 'eu-central', '--config', configFile, '--control-plane', cpUrl, '--admin-key', net.keys.acme)
  t.equal(tenantKey.code, 1)
  t.match(tenantKey.err, /403 SR_FORBIDDEN/)
  const noKey = await sovereign('drain', 'eu-central-1', '--region', 'eu-central', '--config', configFile)
  t.equal(noKey.code, 2)
  t.match(noKey.err, /no admin key/)
  const down = await sovereign('drain', 'eu-central-1', '--region', 'eu-central', '--config', configFile, '--control-plane', 'http://127.0.0.1:9', '--admin-key', net.keys.admin)
  t.equal(down.code, 1)
  t.match(down.err, /control plane http:\/\/127\.0\.0\.1:9 not reachable/)
  t.same(await eu.state.fleet.drainRequests(), [], 'none of them drained anything')
})

t.test("a relay of another region is drained through that region's control plane: the 307 is followed only to a control plane of the config", async (t) => {
  // eu-central answers 307 to us-east's control plane (http://127.0.0.1:18081 in the config,
  // where nothing listens in this test): the command follows it and reports that one.
  const other = await sovereign('drain', 'us-east-1', '--region', 'us-east', ...withKey)
  t.equal(other.code, 1)
  t.match(other.err, /control plane http:\/\/127\.0\.0\.1:18081 not reachable/)
  const rogue = createServer((req, res) => res.writeHead(307, { location: `http://127.0.0.1:1${req.url ?? '/'}` }).end())
  await new Promise<void>((resolve) => rogue.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => rogue.close(() => resolve())))
  const port = (rogue.address() as AddressInfo).port
  const res = await sovereign('drain', 'eu-central-1', '--region', 'eu-central', '--config', configFile, '--control-plane', `http://127.0.0.1:${port}`, '--admin-key', net.keys.admin)
  t.equal(res.code, 1)
  t.match(res.err, /refusing to follow a redirect to http:\/\/127\.0\.0\.1:1\/v1\/admin\/regions\/eu-central\/relays\/eu-central-1\/drain: not a control plane of the config/, 'the admin key is not sent elsewhere')
})
