/** The example configs in deploy/examples/ pass the loader's own validation. */
import t from 'tap'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

import { hashApiKey } from '../../config/api-key.js'
import { ConfigError } from '../../config/config-error.js'
import { loadConfig } from '../../config/load-config.js'

const LOCAL = fileURLToPath(new URL('../../deploy/examples/local-network.yaml', import.meta.url))
const PRODUCTION = fileURLToPath(new URL('../../deploy/examples/production-region.yaml', import.meta.url))

/** Every `{ env: NAME }` the file references (comments aside). */
function envNames(file: string): string[] {
  const text = readFileSync(file, 'utf8').replace(/#.*$/gm, '')
  return [...new Set([...text.matchAll(/\{\s*env:\s*([A-Z0-9_]+)\s*\}/g)].map((m) => m[1] as string))]
}

t.test('the local network example validates without any environment', async (t) => {
  const config = await loadConfig(LOCAL, { env: {} })
  t.same(config.regions.map((r) => [r.id, r.country, r.controlPlane.url]), [
    ['eu-central', 'DE', 'http://127.0.0.1:8080'],
    ['us-east', 'US', 'http://127.0.0.1:8081'],
    ['ap-south', 'IN', 'http://127.0.0.1:8082'],
  ])
  t.same(config.regions.map((r) => r.relays.length), [2, 2, 2])
  t.same(config.relay.allowPeers, ['127.0.0.0/8'])
  t.same(config.geo.overrides.map((o) => `${o.cidr}=${o.country}`), [
    '127.1.0.0/16=DE', '127.2.0.0/16=US', '127.3.0.0/16=IN', '127.4.0.0/16=FR', '127.5.0.0/16=CN', '127.6.0.0/16=GB',
  ])
  const demo = config.tenantById('demo')
  t.same(demo?.allowedRegions, ['eu-central', 'us-east', 'ap-south'])
  t.equal(demo?.defaultRegion, 'eu-central')
  t.same(demo?.allowedJurisdictions, ['EU'])
  t.same(config.tenantById('eu-health')?.allowedRegions, ['eu-central'])
})

t.test('the keys documented in the local example are the ones its hashes admit', async (t) => {
  const text = readFileSync(LOCAL, 'utf8')
  const config = await loadConfig(LOCAL, { env: {} })
  const documented = [...text.matchAll(/key \(published, local only\): (\S+)/g)].map((m) => m[1] as string)
  t.equal(documented.length, 3)
  const owners = documented.map((key) => {
    const owner = config.apiKeyOwner(hashApiKey(key))
    return owner === undefined ? 'none' : owner.kind === 'admin' ? 'admin' : owner.tenant.id
  })
  t.same(owners, ['demo', 'eu-health', 'admin'])
})

t.test('the local example relays each sit in the override range of their region country', async (t) => {
  const config = await loadConfig(LOCAL, { env: {} })
  for (const region of config.regions) {
    const override = config.geo.overrides.find((o) => o.country === region.country)
    const prefix = override?.cidr.split('.').slice(0, 2).join('.')
    for (const relay of region.relays) t.ok(relay.listen.every((l) => l.startsWith(`${prefix}.`)), `${relay.id} listens in ${override?.cidr}`)
  }
})

t.test('the production example references every secret through the environment', async (t) => {
  const text = readFileSync(PRODUCTION, 'utf8')
  t.notMatch(text, /(value|tokenSecret|reportKey|password):\s*[^{\s#]/, 'no literal secret values')
  const names = envNames(PRODUCTION)
  t.ok(names.length >= 10, `${names.length} references`)
  const env = Object.fromEntries(names.map((name) => [name, name.endsWith('_URL') ? 'rediss://:pw@redis.us-east.internal:6380/0' : `${name.toLowerCase()}-value`]))
  const config = await loadConfig(PRODUCTION, { env })
  t.equal(config.regions.length, 3)
  t.equal(config.regionById('eu-central')?.relaySecrets[0]?.value, 'eu_central_relay_secret_2026_11-value')
})

t.test('the production example without its environment names every missing variable', async (t) => {
  const error = (await loadConfig(PRODUCTION, { env: {} }).catch((e: unknown) => e)) as ConfigError
  t.ok(error instanceof ConfigError)
  t.same(error.issues.map((issue) => issue.rule), envNames(PRODUCTION).map(() => 'env_missing'))
})
