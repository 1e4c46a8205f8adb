import { EventEmitter } from 'node:events'
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import t from 'tap'

import { startControlPlaneNode } from '../../../control-plane/node.js'
import { openRegionState } from '../../../state/region-state.js'
import { bearer, dropPrefix, network, REDIS_URL } from './fixture.js'

const net = network()
const dir = await mkdtemp(join(tmpdir(), 'sovereign-cp-node-'))
const path = join(dir, 'network.yaml')
await writeFile(path, net.text)
const cleanup = openRegionState({ region: 'eu-central', redis: { url: REDIS_URL }, prefix: net.prefix })
await cleanup.health.when('connected')
t.teardown(async () => {
  await dropPrefix(cleanup, net.prefix)
  await cleanup.close()
  await rm(dir, { recursive: true, force: true })
})

t.test('a node listens on a free loopback port, serves its region, reloads on SIGHUP and drains on SIGTERM', async (t) => {
  const signals = new EventEmitter()
  const node = await startControlPlaneNode({ configPath: path, region: 'eu-central', nodeId: 'eu-node-a', listen: '127.0.0.1:0', signals, logger: false, prefix: net.prefix, env: {} })
  t.match(node.url, /^http:\/\/127\.0\.0\.1:\d+$/)
  const ready = await fetch(`${node.url}/readyz`)
  t.equal(ready.status, 200)
  t.equal((await ready.json() as { node: string }).node, 'eu-node-a')

  const created = await fetch(`${node.url}/v1/meetings`, { method: 'POST', headers: { ...bearer(net.keys.acme), 'content-type': 'application/json' }, body: '{}' })
  t.equal(created.status, 201)
  const redirected = await fetch(`${node.url}/v1/meetings`, { method: 'POST', redirect: 'manual', headers: { ...bearer(net.keys.acme), 'content-type': 'application/json' }, body: '{"region":"us-east"}' })
  t.equal(redirected.status, 307, 'a real client sees the 307')
  t.equal(redirected.headers.get('location'), 'http://127.0.0.1:18081/v1/meetings')

  const before = node.config()
  const changed = new Promise<void>((resolve) => {
    const check = () => (node.config() !== before ? resolve() : setImmediate(check))
    check()
  })
  await writeFile(`${path}.tmp`, net.text.replace('    - { cidr: 127.5.0.0/16, country: CN }', '    - { cidr: 127.5.0.0/16, country: CN }\n    - { cidr: 127.6.0.0/16, country: GB }'))
  await rename(`${path}.tmp`, path)
  signals.emit('SIGHUP')
  await changed
  t.equal(node.config().geo.overrides.length, before.geo.overrides.length + 1, 'the reloaded config is in force')

  await writeFile(`${path}.tmp`, 'version: 1\nregions: []\n')
  await rename(`${path}.tmp`, path)
  signals.emit('SIGHUP')
  // a refused file leaves the running config in place; a request still works
  const still = await fetch(`${node.url}/healthz`)
  t.equal(still.status, 200)

  signals.emit('SIGTERM')
  await node.closed
  await t.rejects(fetch(`${node.url}/healthz`), 'the port is closed after SIGTERM')
  await writeFile(path, net.text)
})

t.test('a region that is not in the config is refused at start', async (t) => {
  await t.rejects(startControlPlaneNode({ configPath: path, region: 'mars-base', listen: '127.0.0.1:0', logger: false, env: {} }), { code: 'ERR_CP_REGION_UNKNOWN' })
})

t.test('two nodes of one region share its state: a meeting created on one is served by the other', async (t) => {
  const a = await startControlPlaneNode({ configPath: path, region: 'eu-central', nodeId: 'eu-a', listen: '127.0.0.1:0', logger: false, prefix: net.prefix, signals: new EventEmitter(), env: {} })
  const b = await startControlPlaneNode({ configPath: path, region: 'eu-central', nodeId: 'eu-b', listen: '127.0.0.1:0', logger: false, prefix: net.prefix, signals: new EventEmitter(), env: {} })
  t.teardown(async () => {
    await Promise.all([a.close(), b.close()])
  })
  await b.subscribed
  const ended = new Promise<{ origin: string }>((resolve) => b.app.sovereign.meetings.once('meeting-ended', resolve))
  const m = await (await fetch(`${a.url}/v1/meetings`, { method: 'POST', headers: { ...bearer(net.keys.acme), 'content-type': 'application/json' }, body: '{}' })).json() as { id: string }
  const got = await fetch(`${b.url}/v1/meetings/${m.id}`, { headers: bearer(net.keys.acme) })
  t.equal(got.status, 200)
  const end = await fetch(`${a.url}/v1/meetings/${m.id}/end`, { method: 'POST', headers: bearer(net.keys.acme) })
  t.equal(end.status, 200)
  t.equal((await ended).origin, 'eu-a', 'node b heard the end from node a through the region bus (its signaling closes sockets on it)')
})

t.test('the first admin fleet read after start already sees every region (their state is connected at start-up)', async (t) => {
  const signals = new EventEmitter()
  const node = await startControlPlaneNode({ configPath: path, region: 'eu-central', nodeId: 'eu-node-f', listen: '127.0.0.1:0', signals, logger: false, prefix: net.prefix, env: {} })
  t.teardown(() => node.close())
  const res = await fetch(`${node.url}/v1/admin/fleet`, { headers: bearer(net.keys.admin) })
  t.equal(res.status, 200)
  const body = await res.json() as { regions: { region: string; available: boolean; error?: string }[] }
  t.ok(body.regions.length > 1, 'the network has several regions')
  for (const r of body.regions) t.equal(r.available, true, `${r.region} is readable on the first call${r.error ? ` (${r.error})` : ''}`)
})

t.test('a node whose port is taken fails to start and leaves nothing running', async (t) => {
  const signals = new EventEmitter()
  const first = await startControlPlaneNode({ configPath: path, region: 'eu-central', nodeId: 'eu-node-g', listen: '127.0.0.1:0', signals, logger: false, prefix: net.prefix, env: {} })
  t.teardown(() => first.close())
  const port = new URL(first.url).port
  const hups = signals.listenerCount('SIGHUP')
  await t.rejects(startControlPlaneNode({ configPath: path, region: 'eu-central', nodeId: 'eu-node-h', listen: `127.0.0.1:${port}`, signals, logger: false, prefix: net.prefix, env: {} }), { code: 'EADDRINUSE' })
  t.equal(signals.listenerCount('SIGHUP'), hups, 'the failed node stopped watching SIGHUP')
  t.equal(signals.listenerCount('SIGTERM'), 1, 'and registered no SIGTERM handler')
})

t.test('a node takes its media KEKs from the config, the deprecated SOVEREIGN_MEDIA_KEK only when the config lists none, and a reload adds them', async (t) => {
  const kekPath = join(dir, 'kek.yaml')
  await writeFile(kekPath, net.text)
  const managed = (url: string) => fetch(`${url}/v1/meetings`, { method: 'POST', headers: { ...bearer(net.keys.acme), 'content-type': 'application/json' }, body: '{"region":"us-east","keyMode":"managed"}' })
  const signals = new EventEmitter()
  const bare = await startControlPlaneNode({ configPath: kekPath, region: 'us-east', nodeId: 'us-node-k1', listen: '127.0.0.1:0', signals, logger: false, prefix: net.prefix, env: {} })
  const legacy = await startControlPlaneNode({ configPath: kekPath, region: 'us-east', nodeId: 'us-node-k2', listen: '127.0.0.1:0', signals: new EventEmitter(), logger: false, prefix: net.prefix, env: { SOVEREIGN_MEDIA_KEK: 'a-legacy-kek-from-the-environment' } })
  t.teardown(async () => {
    await Promise.all([bare.close(), legacy.close()])
  })
  t.equal((await managed(bare.url)).status, 422, 'no KEK anywhere: managed mode is refused')
  t.equal((await managed(legacy.url)).status, 201, 'the environment variable still works when the config lists none')

  const before = bare.config()
  const changed = new Promise<void>((resolve) => {
    const check = () => (bare.config() !== before ? resolve() : setImmediate(check))
    check()
  })
  const withKek = net.text.replace('relaySecrets: [{ id: us-a, value: us-east-relay-secret-for-tests }]', 'relaySecrets: [{ id: us-a, value: us-east-relay-secret-for-tests }]\n    mediaKeks: [{ id: us-kek-1, value: us-east-media-kek-for-tests }]')
  t.not(withKek, net.text, 'the test network has the line the KEK goes after')
  await writeFile(`${kekPath}.tmp`, withKek)
  await rename(`${kekPath}.tmp`, kekPath)
  signals.emit('SIGHUP')
  await changed
  const created = await managed(bare.url)
  t.equal(created.status, 201, 'after a reload with mediaKeks the region accepts managed meetings')
})

t.test('a node serves Prometheus on its metrics listener without a key, and /metrics on the API port only to an operator key', async (t) => {
  const node = await startControlPlaneNode({ configPath: path, region: 'eu-central', nodeId: 'eu-node-m', listen: '127.0.0.1:0', metricsListen: '127.0.0.1:0', logger: false, prefix: net.prefix, env: {} })
  t.teardown(() => node.close())
  t.match(node.metricsUrl, /^http:\/\/127\.0\.0\.1:\d+$/)
  t.not(node.metricsUrl, node.url, 'a listener of its own')
  const scraped = await fetch(`${node.metricsUrl}/metrics`)
  t.equal(scraped.status, 200)
  t.match(await scraped.text(), /sovereign_cp_state_up\{connection="command"\} 1/)
  t.equal((await fetch(`${node.metricsUrl}/readyz`)).status, 200, 'with its readiness')
  const api = await fetch(`${node.url}/metrics`)
  t.equal(api.status, 401, 'the public port does not answer /metrics without a key')
  t.equal(api.headers.get('x-content-type-options'), 'nosniff')
  t.equal((await fetch(`${node.url}/metrics`, { headers: bearer(net.keys.admin) })).status, 200, 'an operator key may read it there')
  t.equal((await fetch(`${node.url}/v1/meetings`, { method: 'POST', headers: { ...bearer(net.keys.acme), 'content-type': 'application/json' }, body: '{}' })).headers.get('x-content-type-options'), 'nosniff', 'API answers carry nosniff')
})

t.test('a metrics listener address that does not parse is refused at start with its own code', async (t) => {
  await t.rejects(startControlPlaneNode({ configPath: path, region: 'eu-central', listen: '127.0.0.1:0', metricsListen: 'not an address', logger: false, prefix: net.prefix, env: {} }), { code: 'ERR_CP_METRICS_LISTEN_INVALID' })
})
