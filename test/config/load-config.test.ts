import t from 'tap'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { hashApiKey } from '../../config/api-key.js'
import { ConfigError } from '../../config/config-error.js'
import { loadConfig, parseConfig } from '../../config/load-config.js'
import { ADMIN_KEY, TENANT_KEY, baseDoc, baseEnv, parseDoc, toYaml } from './fixtures.js'

t.test('a valid config loads with secrets resolved from the environment', async (t) => {
  const config = parseDoc(baseDoc())
  t.equal(config.tenantById('beta')?.tokenSecret, 'beta-token-secret-from-env')
  t.equal(config.regionById('us-east')?.relaySecrets[0]?.value, 'us-relay-secret-from-env')
  t.equal(config.tenantById('acme')?.tokenSecret, 'acme-token-secret-literal')
  t.same(config.unsetEnv, [])
})

t.test('schema defaults fill everything the file leaves out', async (t) => {
  const config = parseDoc(baseDoc())
  t.same(config.relay.ports, { min: 49152, max: 65535 })
  t.equal(config.relay.realm, 'sovereign')
  t.equal(config.relay.credentialTtlSeconds, 3600)
  t.same(config.relay.denyPeers, [])
  t.same(config.relay.heartbeat, { intervalSeconds: 0.5, ttlSeconds: 1.5 }, 'a SIGKILLed relay leaves the fleet within 1.5 s (issue 12: failover under 3 s)')
  t.equal(config.geo.watch, true)
  const acme = config.tenantById('acme')
  t.same(acme?.attendeePolicy, { mode: 'open', countries: [], unknown: 'deny' })
  t.equal(acme?.residencyMode, 'region')
  t.equal(acme?.security.passcodeRequired, true)
  t.equal(acme?.security.keyMode, 'e2ee')
  t.equal(acme?.security.capacity, 100)
  t.equal(config.regionById('eu-central')?.relays[0]?.capacity, 10000)
})

t.test('a tenant setting one security field keeps the defaults of the others', async (t) => {
  const doc = baseDoc()
  doc.tenants[0].security = { waitingRoom: true }
  const security = parseDoc(doc).tenantById('acme')?.security
  t.equal(security?.waitingRoom, true)
  t.equal(security?.passcodeRequired, true)
  t.equal(security?.recording, 'host')
})

t.test('the loaded config is frozen all the way down', async (t) => {
  const config = parseDoc(baseDoc())
  t.ok(Object.isFrozen(config))
  t.ok(Object.isFrozen(config.regions))
  t.ok(Object.isFrozen(config.regions[0]?.relays[0]?.listen))
  t.ok(Object.isFrozen(config.tenants[1]?.attendeePolicy.countries))
  t.throws(() => {
    ;(config.relay.ports as { min: number }).min = 1
  }, TypeError)
})

t.test('lookups find regions, tenants, relays and API key owners', async (t) => {
  const config = parseDoc(baseDoc())
  t.equal(config.regionById('eu-central')?.country, 'DE')
  t.equal(config.regionById('mars'), undefined)
  t.equal(config.tenantById('nobody'), undefined)
  t.equal(config.tenantByApiKeyHash(hashApiKey(TENANT_KEY))?.id, 'acme')
  t.equal(config.tenantByApiKeyHash(hashApiKey(ADMIN_KEY)), undefined, 'an admin key is not a tenant key')
  t.equal(config.tenantByApiKeyHash(hashApiKey('guess')), undefined)
  t.same(config.apiKeyOwner(hashApiKey(ADMIN_KEY)), { kind: 'admin', keyId: 'ops' })
  const owner = config.apiKeyOwner(hashApiKey(TENANT_KEY))
  t.equal(owner?.kind === 'tenant' ? `${owner.tenant.id}/${owner.keyId}` : undefined, 'acme/acme-1')
  const found = config.relayById('us-1')
  t.equal(found?.region.id, 'us-east')
  t.same(found?.relay.listen, ['127.2.0.1:3478'])
})

t.test('the config does not depend on the caller keeping its input unchanged', async (t) => {
  const env = { ...baseEnv }
  const config = parseDoc(baseDoc(), env)
  env.BETA_TOKEN_SECRET = 'changed-after-loading'
  t.equal(config.tenantById('beta')?.tokenSecret, 'beta-token-secret-from-env')
})

t.test('names the tenant may use: EU, EEA, any country and defined jurisdictions', async (t) => {
  const doc = baseDoc()
  doc.tenants[1].allowedJurisdictions = ['EU', 'EEA', 'CH', 'NORDICS']
  t.same(parseDoc(doc).tenantById('beta')?.allowedJurisdictions, ['EU', 'EEA', 'CH', 'NORDICS'])
})

t.test('ranges that touch without overlapping are accepted', async (t) => {
  const doc = baseDoc()
  doc.geo.overrides.push(
    { cidr: '127.0.0.0/16', country: 'GB' },
    { cidr: '127.3.0.0/16', country: 'IN' },
    // IPv4-compatible (::a.b.c.d), not IPv4-mapped: a different range from 10.0.0.0/8
    { cidr: '::a00:0/104', country: 'JP' },
    { cidr: '10.0.0.0/8', country: 'SE' },
    { cidr: '2001:db9::/32', country: 'NL' },
  )
  t.equal(parseDoc(doc).geo.overrides.length, 8)
})

t.test('wildcard listeners and repeated private addresses across regions are accepted', async (t) => {
  const doc = baseDoc()
  doc.regions[0].relays[0].listen = ['0.0.0.0:3478']
  doc.regions[0].relays[1].listen = ['0.0.0.0:3478']
  doc.regions[0].controlPlane.listen = '10.0.0.5:8080'
  doc.regions[1].controlPlane.listen = '10.0.0.5:8080'
  doc.regions[0].relays[0].metrics = '127.0.0.1:0'
  doc.regions[0].relays[1].metrics = '127.0.0.1:0'
  t.ok(parseDoc(doc))
})

t.test('a redis URL may come from the environment', async (t) => {
  const doc = baseDoc()
  doc.regions[0].redis.url = { env: 'EU_REDIS_URL' }
  const config = parseDoc(doc, { ...baseEnv, EU_REDIS_URL: 'rediss://:pw@redis.eu.internal:6380/2' })
  const redis = config.regionById('eu-central')?.redis
  t.equal(redis !== undefined && 'url' in redis ? redis.url : undefined, 'rediss://:pw@redis.eu.internal:6380/2')
})

t.test('placeholder mode checks a file without its secrets and says which were missing', async (t) => {
  const doc = baseDoc()
  doc.regions[0].redis.url = { env: 'EU_REDIS_URL' }
  const config = parseConfig({ text: toYaml(doc) }, { env: {}, missingEnv: 'placeholder' })
  t.same(config.unsetEnv, ['EU_REDIS_URL', 'US_RELAY_SECRET', 'BETA_TOKEN_SECRET'])
  t.equal(config.tenantById('beta')?.tokenSecret, '<unset:BETA_TOKEN_SECRET>')
})

t.test('YAML syntax errors carry their line and column', async (t) => {
  const error = t.throws(() => parseConfig({ text: 'version: 1\nregions:\n  - id: [\n', source: 'broken.yaml' })) as ConfigError
  t.equal(error.code, 'CONFIG_SYNTAX')
  t.equal(error.issues[0]?.rule, 'yaml')
  t.type(error.issues[0]?.line, 'number')
  t.match(error.message, /^broken\.yaml: is not valid YAML/)
})

t.test('a key written twice is a syntax error at its second occurrence', async (t) => {
  const error = t.throws(() => parseConfig({ text: 'version: 1\nname: a\nname: b\n' })) as ConfigError
  t.equal(error.code, 'CONFIG_SYNTAX')
  t.equal(error.issues[0]?.line, 3)
})

t.test('a file with two YAML documents is refused', async (t) => {
  const error = t.throws(() => parseConfig({ text: 'version: 1\n---\nversion: 1\n' })) as ConfigError
  t.equal(error.code, 'CONFIG_SYNTAX')
  t.match(error.issues[0]?.message, 'one YAML document')
})

t.test('an alias bomb is refused as a syntax error, not expanded', async (t) => {
  const levels = ['a: &a [x,x,x,x,x,x,x,x,x]']
  for (const [name, prev] of [['b', 'a'], ['c', 'b'], ['d', 'c'], ['e', 'd']]) levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`)
  const error = t.throws(() => parseConfig({ text: `${levels.join('\n')}\n` })) as ConfigError
  t.equal(error.code, 'CONFIG_SYNTAX')
})

t.test('a __proto__ key is refused and pollutes nothing', async (t) => {
  const text = `${toYaml(baseDoc())}__proto__: { polluted: true }\n`
  const error = t.throws(() => parseConfig({ text }, { env: baseEnv })) as ConfigError
  t.same(error.issues.map((issue) => [issue.path, issue.rule]), [['__proto__', 'unknown_key']])
  t.equal(({} as Record<string, unknown>)['polluted'], undefined)
})

t.test('an empty file is refused as not a mapping', async (t) => {
  const error = t.throws(() => parseConfig({ text: '' })) as ConfigError
  t.same(error.issues.map((issue) => issue.path), [''])
})

t.test('a file that cannot be read is a CONFIG_UNREADABLE error', async (t) => {
  const error = (await loadConfig('/nonexistent/sovereign.yaml').catch((e: unknown) => e)) as ConfigError
  t.ok(error instanceof ConfigError)
  t.equal(error.code, 'CONFIG_UNREADABLE')
  t.match(error.issues[0]?.message, 'ENOENT')
})

t.test('a relative geo database path is relative to the config file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sovereign-config-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const doc = baseDoc()
  doc.geo.database = 'geo/country.mmdb'
  const file = join(dir, 'network.yaml')
  await writeFile(file, toYaml(doc))
  const config = await loadConfig(file, { env: baseEnv })
  t.equal(config.geo.database, join(dir, 'geo/country.mmdb'))
  t.equal(config.source, file)
})
