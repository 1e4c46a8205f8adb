import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'

import t from 'tap'

import { startControlPlaneNode } from '../../../control-plane/node.js'
import { createLogger } from '../../../platform/logger.js'
import { openRegionState } from '../../../state/region-state.js'
import { bearer, dropPrefix, network, REDIS_URL } from './fixture.js'

const net = network()
const dir = await mkdtemp(join(tmpdir(), 'sovereign-cp-logs-'))
const path = join(dir, 'network.yaml')
await writeFile(path, net.text)
const cleanup = openRegionState({ region: 'eu-central', redis: { url: REDIS_URL }, prefix: net.prefix })
await cleanup.health.when('connected')
t.teardown(async () => {
  await dropPrefix(cleanup, net.prefix)
  await cleanup.close()
  await rm(dir, { recursive: true, force: true })
})

t.test('a control-plane node logs through the platform logger: JSON records with its name and region, no API key', async (t) => {
  let out = ''
  const destination = new Writable({ write(chunk: Buffer, _enc, done) { out += chunk.toString(); done() } })
  const logger = createLogger({ name: 'control-plane', destination, base: { region: 'eu-central' } })
  const node = await startControlPlaneNode({ configPath: path, region: 'eu-central', nodeId: 'eu-logs', listen: '127.0.0.1:0', logger, prefix: net.prefix, env: {} })
  t.teardown(() => node.close())
  const headers = bearer(net.keys.acme)
  t.equal((await fetch(`${node.url}/v1/meetings`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: '{}' })).status, 201)
  await node.close()
  const records = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
  t.match(records.find((r) => r['msg'] === 'control plane listening'), { name: 'control-plane', region: 'eu-central', node: 'eu-logs', url: node.url })
  t.match(records.find((r) => r['msg'] === 'request'), { name: 'control-plane', route: '/v1/meetings', method: 'POST', status: 201 })
  const key = String(headers.authorization).replace(/^Bearer /, '')
  t.notMatch(out, key, 'the API key is in no record')
})
