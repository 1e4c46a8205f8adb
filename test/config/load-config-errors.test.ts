/**
 * Every class of config error, each reported at the exact path of the bad field. Each
 * case breaks one thing in a valid config and lists every issue that must come back,
 * so a rule that also fires somewhere it should not fails the case too.
 */
import t from 'tap'

import { hashApiKey } from '../../config/api-key.js'
import { ConfigError } from '../../config/config-error.js'
import { parseConfig } from '../../config/load-config.js'
import type { Environment } from '../../config/secrets.js'
import { baseDoc, baseEnv, parseDoc, toYaml, type Doc } from './fixtures.js'

interface Case {
  readonly name: string
  readonly mutate: (doc: Doc) => void
  readonly env?: Environment
  /** [path, rule] of every expected issue, in order. */
  readonly issues: readonly (readonly [string, string])[]
  /** Text the first issue's message must contain. */
  readonly says?: string
  /** Text no message may contain (secrets). */
  readonly never?: string
}

const CASES: Case[] = [
  // --- schema: strict keys, shapes, defaults
  { name: 'an unknown top-level key is refused with a suggestion', mutate: (d) => { d.regoins = [] }, issues: [['regoins', 'unknown_key']], says: 'did you mean "regions"' },
  { name: 'an unknown key deep inside a relay is refused at its path', mutate: (d) => { d.regions[1].relays[0].lisen = ['x'] }, issues: [['regions[1].relays[0].lisen', 'unknown_key']] },
  { name: 'a missing required field is reported at the field', mutate: (d) => { delete d.tenants[0].tokenSecret }, issues: [['tenants[0].tokenSecret', 'schema']], says: 'is required' },
  { name: 'a value of the wrong type is refused', mutate: (d) => { d.relay.ports = { min: 'low' } }, issues: [['relay.ports.min', 'schema']], says: 'must be an integer' },
  { name: 'an id with upper-case letters is refused', mutate: (d) => { d.tenants[1].id = 'Beta' }, issues: [['tenants[1].id', 'schema']], says: 'lower-case id' },
  { name: 'a lower-case country code is refused by shape', mutate: (d) => { d.regions[0].country = 'de' }, issues: [['regions[0].country', 'schema']], says: 'ISO 3166-1' },
  { name: 'a latitude beyond 90 is refused', mutate: (d) => { d.regions[0].location.lat = 91 }, issues: [['regions[0].location.lat', 'schema']], says: 'between -90 and 90' },
  { name: 'a word outside an enumeration lists the words allowed', mutate: (d) => { d.tenants[0].residencyMode = 'global' }, issues: [['tenants[0].residencyMode', 'schema']], says: 'one of "region", "jurisdiction"' },
  { name: 'a redis sentinel without nodes is judged as a sentinel', mutate: (d) => { d.regions[0].redis = { sentinel: { name: 'main', nodes: [] } } }, issues: [['regions[0].redis.sentinel.nodes', 'schema']], says: 'at least 1 entry' },
  { name: 'a redis section matching no form names the forms', mutate: (d) => { d.regions[0].redis = { host: 'x' } }, issues: [['regions[0].redis', 'schema']], says: '{sentinel}' },
  { name: 'a short literal secret is refused without echoing it', mutate: (d) => { d.regions[0].relaySecrets[0].value = 'hunter2' }, issues: [['regions[0].relaySecrets[0].value', 'secret_too_short']], never: 'hunter2' },
  { name: 'a secret of the wrong type is refused without echoing it', mutate: (d) => { d.tenants[0].tokenSecret = 12345678901 }, issues: [['tenants[0].tokenSecret', 'schema']], never: '12345678901' },
  { name: 'an environment reference needs an upper-case variable name', mutate: (d) => { d.tenants[0].tokenSecret = { env: 'token' } }, issues: [['tenants[0].tokenSecret.env', 'schema']] },
  { name: 'a config version other than 1 is refused', mutate: (d) => { d.version = 2 }, issues: [['version', 'schema']], says: 'must be 1' },
  { name: 'an API key hash must be 64 lower-case hex digits', mutate: (d) => { d.admin.apiKeys[0].sha256 = 'ABC' }, issues: [['admin.apiKeys[0].sha256', 'schema']] },
  { name: 'an empty section written as nothing is refused, not guessed', mutate: (d) => { d.relay = null }, issues: [['relay', 'schema']], says: 'null' },

  // --- secret references
  { name: 'a missing environment variable is an error at the referencing field', mutate: () => {}, env: { US_RELAY_SECRET: baseEnv['US_RELAY_SECRET'] }, issues: [['tenants[1].tokenSecret', 'env_missing']], says: 'BETA_TOKEN_SECRET is not set' },
  { name: 'an empty environment variable is an error', mutate: () => {}, env: { ...baseEnv, BETA_TOKEN_SECRET: '  ' }, issues: [['tenants[1].tokenSecret', 'env_empty']] },
  { name: 'a short secret from the environment is refused without echoing it', mutate: () => {}, env: { ...baseEnv, US_RELAY_SECRET: 'tiny' }, issues: [['regions[1].relaySecrets[0].value', 'secret_too_short']], never: 'tiny' },

  // --- uniqueness
  { name: 'two regions with one id are refused at the second', mutate: (d) => { d.regions[1].id = 'eu-central' }, issues: [['regions[1].id', 'duplicate_id'], ['tenants[0].allowedRegions[1]', 'region_unknown']], says: 'first at regions[0].id' },
  { name: 'two tenants with one id are refused', mutate: (d) => { d.tenants[1].id = 'acme' }, issues: [['tenants[1].id', 'duplicate_id']] },
  { name: 'two jurisdictions with one id are refused', mutate: (d) => { d.jurisdictions.push({ id: 'NORDICS', countries: ['SE'] }) }, issues: [['jurisdictions[1].id', 'duplicate_id']] },
  { name: 'relay ids are unique across regions', mutate: (d) => { d.regions[1].relays[0].id = 'eu-1' }, issues: [['regions[1].relays[0].id', 'duplicate_id']] },
  { name: 'relay secret ids are unique within a region', mutate: (d) => { d.regions[0].relaySecrets.push({ id: 'eu-a', value: 'another-secret-value' }) }, issues: [['regions[0].relaySecrets[1].id', 'duplicate_id']] },
  { name: 'API key ids are unique across tenants and admin', mutate: (d) => { d.admin.apiKeys[0].id = 'acme-1' }, issues: [['admin.apiKeys[0].id', 'duplicate_id']] },
  { name: 'one API key cannot belong to two tenants', mutate: (d) => { d.tenants[1].apiKeys[0].sha256 = d.tenants[0].apiKeys[0].sha256 }, issues: [['tenants[1].apiKeys[0].sha256', 'duplicate_api_key']] },

  // --- countries and jurisdictions
  { name: 'a region in a country that does not exist is refused', mutate: (d) => { d.regions[1].country = 'XX' }, issues: [['regions[1].country', 'country_unknown']] },
  { name: 'a jurisdiction member that is not a country is refused', mutate: (d) => { d.jurisdictions[0].countries[2] = 'ZZ' }, issues: [['jurisdictions[0].countries[2]', 'country_unknown']] },
  { name: 'a country listed twice in a jurisdiction is refused', mutate: (d) => { d.jurisdictions[0].countries.push('DK') }, issues: [['jurisdictions[0].countries[5]', 'duplicate_country']] },
  { name: 'a geo override to a non-country is refused', mutate: (d) => { d.geo.overrides[1].country = 'QQ' }, issues: [['geo.overrides[1].country', 'country_unknown']] },
  { name: 'UK is not the ISO code of the United Kingdom', mutate: (d) => { d.tenants[1].attendeePolicy.countries[0] = 'UK' }, issues: [['tenants[1].attendeePolicy.countries[0]', 'country_unknown']] },
  { name: 'EU cannot be redefined', mutate: (d) => { d.jurisdictions[0].id = 'EU' }, issues: [['jurisdictions[0].id', 'jurisdiction_reserved'], ['tenants[1].allowedJurisdictions[1]', 'jurisdiction_unknown']] },
  { name: 'a jurisdiction cannot take a country code as its name', mutate: (d) => { d.jurisdictions.push({ id: 'SE', countries: ['SE'] }) }, issues: [['jurisdictions[1].id', 'jurisdiction_reserved']] },

  // --- tenants
  { name: 'a tenant allowed a region that does not exist is refused', mutate: (d) => { d.tenants[1].allowedRegions[0] = 'mars'; d.tenants[1].defaultRegion = 'mars' }, issues: [['tenants[1].allowedRegions[0]', 'region_unknown'], ['tenants[1].defaultRegion', 'region_unknown']], says: 'region "mars" does not exist' },
  { name: 'a default region outside the allowed set is refused', mutate: (d) => { d.tenants[1].defaultRegion = 'us-east' }, issues: [['tenants[1].defaultRegion', 'default_region_not_allowed']] },
  { name: 'a region listed twice for a tenant is refused', mutate: (d) => { d.tenants[0].allowedRegions.push('us-east') }, issues: [['tenants[0].allowedRegions[2]', 'duplicate_region']] },
  { name: 'an allowed jurisdiction nobody defined is refused', mutate: (d) => { d.tenants[1].allowedJurisdictions[1] = 'NORDIC' }, issues: [['tenants[1].allowedJurisdictions[1]', 'jurisdiction_unknown']], says: 'NORDICS' },
  { name: 'jurisdiction residency without any jurisdiction is refused', mutate: (d) => { d.tenants[1].allowedJurisdictions = [] }, issues: [['tenants[1].allowedJurisdictions', 'residency_mode']] },
  { name: 'an attendee allow-list with no countries is refused', mutate: (d) => { d.tenants[1].attendeePolicy = { mode: 'allow' } }, issues: [['tenants[1].attendeePolicy.countries', 'attendee_policy']] },
  { name: 'an attendee allow-list that admits unknown countries is refused', mutate: (d) => { d.tenants[1].attendeePolicy = { mode: 'allow', countries: ['DE'], unknown: 'allow' } }, issues: [['tenants[1].attendeePolicy.unknown', 'attendee_policy']] },
  { name: 'an open attendee policy with a country list is refused as misleading', mutate: (d) => { d.tenants[1].attendeePolicy.mode = 'open' }, issues: [['tenants[1].attendeePolicy.countries', 'attendee_policy']] },

  // --- address ranges
  { name: 'a CIDR without a prefix length is refused', mutate: (d) => { d.geo.overrides[0].cidr = '127.1.0.0' }, issues: [['geo.overrides[0].cidr', 'cidr_invalid']], says: 'prefix length' },
  { name: 'a CIDR with an impossible address is refused', mutate: (d) => { d.geo.overrides[0].cidr = '300.1.0.0/16' }, issues: [['geo.overrides[0].cidr', 'cidr_invalid']] },
  { name: 'a CIDR in shorthand IPv4 is refused', mutate: (d) => { d.geo.overrides[0].cidr = '127.1/16' }, issues: [['geo.overrides[0].cidr', 'cidr_invalid']] },
  { name: 'a CIDR with host bits set is refused with the network it probably means', mutate: (d) => { d.geo.overrides[0].cidr = '127.1.0.5/16' }, issues: [['geo.overrides[0].cidr', 'cidr_invalid']], says: 'did you mean 127.1.0.0/16' },
  { name: 'an IPv4 prefix longer than 32 is refused', mutate: (d) => { d.geo.overrides[0].cidr = '127.1.0.0/33' }, issues: [['geo.overrides[0].cidr', 'cidr_invalid']] },
  { name: 'overlapping IPv4 overrides are refused at the later one', mutate: (d) => { d.geo.overrides.push({ cidr: '127.1.2.0/24', country: 'FR' }) }, issues: [['geo.overrides[3].cidr', 'cidr_overlap']], says: 'overlaps 127.1.0.0/16 (DE) at geo.overrides[0].cidr' },
  { name: 'overlapping IPv6 overrides are refused', mutate: (d) => { d.geo.overrides.push({ cidr: '2001:db8:1::/48', country: 'GB' }) }, issues: [['geo.overrides[3].cidr', 'cidr_overlap']] },
  { name: 'an IPv4-mapped IPv6 override overlapping an IPv4 override is refused', mutate: (d) => { d.geo.overrides.push({ cidr: '::ffff:127.2.3.0/120', country: 'CA' }) }, issues: [['geo.overrides[3].cidr', 'cidr_overlap']], says: '127.2.0.0/16' },
  { name: 'an override covering the whole mapped space overlaps every IPv4 override', mutate: (d) => { d.geo.overrides.push({ cidr: '::ffff:0:0/96', country: 'CA' }) }, issues: [['geo.overrides[3].cidr', 'cidr_overlap'], ['geo.overrides[3].cidr', 'cidr_overlap']] },
  { name: 'an IPv4 override inside an earlier IPv4-mapped one is refused at the IPv4 one', mutate: (d) => { d.geo.overrides.unshift({ cidr: '::ffff:127.1.0.0/112', country: 'DE' }) }, issues: [['geo.overrides[1].cidr', 'cidr_overlap']] },
  { name: 'an invalid allowed peer range is refused', mutate: (d) => { d.relay.allowPeers.push('localhost/8') }, issues: [['relay.allowPeers[1]', 'cidr_invalid']] },
  { name: 'a range both allowed and denied as a peer is refused', mutate: (d) => { d.relay.denyPeers = ['10.0.0.0/8', '127.0.0.1/32'] }, issues: [['relay.denyPeers[1]', 'cidr_overlap']] },
  { name: 'a relayed port range with min above max is refused', mutate: (d) => { d.relay.ports = { min: 60000, max: 50000 } }, issues: [['relay.ports.min', 'port_range']], says: 'greater than relay.ports.max (50000)' },

  // --- listen addresses, URLs, Redis
  { name: 'a listen address without a port is refused', mutate: (d) => { d.regions[0].relays[0].listen[0] = '127.1.0.1' }, issues: [['regions[0].relays[0].listen[0]', 'address_invalid']] },
  { name: 'an IPv6 listen address without brackets is refused', mutate: (d) => { d.regions[0].relays[0].listen[0] = '::1:3478' }, issues: [['regions[0].relays[0].listen[0]', 'address_invalid']], says: '[::1]:3478' },
  { name: 'a listen port above 65535 is refused', mutate: (d) => { d.regions[0].controlPlane.listen = '127.0.0.1:70000' }, issues: [['regions[0].controlPlane.listen', 'address_invalid']] },
  { name: 'a listen address must be an IP, not a name', mutate: (d) => { d.regions[0].relays[1].metrics = 'localhost:9100' }, issues: [['regions[0].relays[1].metrics', 'address_invalid']] },
  { name: 'two relays of a region on one address are refused', mutate: (d) => { d.regions[0].relays[1].listen[0] = '127.1.0.1:3478' }, issues: [['regions[0].relays[1].listen[0]', 'listen_duplicate']] },
  { name: 'loopback addresses are unique across regions', mutate: (d) => { d.regions[1].relays[0].listen[0] = '127.1.0.2:3478' }, issues: [['regions[1].relays[0].listen[0]', 'listen_duplicate']] },
  { name: 'a metrics address colliding with a control plane is refused', mutate: (d) => { d.regions[0].relays[0].metrics = '127.0.0.1:8080' }, issues: [['regions[0].relays[0].metrics', 'listen_duplicate']] },
  { name: 'IPv6 spellings of one address collide', mutate: (d) => { d.regions[0].relays[0].listen.push('[::1]:3479'); d.regions[0].relays[1].listen.push('[0:0::1]:3479') }, issues: [['regions[0].relays[1].listen[1]', 'listen_duplicate']] },
  { name: 'a relay address that is not an IP is refused', mutate: (d) => { d.regions[0].relays[0].relayAddress = 'relay.example' }, issues: [['regions[0].relays[0].relayAddress', 'address_invalid']] },
  { name: 'a public address that is neither IP nor host name is refused', mutate: (d) => { d.regions[0].relays[0].publicAddress = 'bad host!' }, issues: [['regions[0].relays[0].publicAddress', 'address_invalid']] },
  { name: 'a TLS listener on the address of a relay\'s UDP/TCP listener is refused', mutate: (d) => { d.regions[0].relays[1].tls = { listen: [d.regions[0].relays[0].listen[0]], cert: '/etc/tls/b.pem', key: '/etc/tls/b.key' } }, issues: [['regions[0].relays[1].tls.listen[0]', 'listen_duplicate']] },
  { name: 'a TLS name that is not a host name is refused', mutate: (d) => { d.regions[0].relays[0].tls = { listen: ['127.1.0.1:5349'], cert: '/etc/tls/a.pem', key: '/etc/tls/a.key', name: '203.0.113.7:443' } }, issues: [['regions[0].relays[0].tls.name', 'address_invalid']] },
  { name: 'a TLS block without its key file is refused', mutate: (d) => { d.regions[0].relays[0].tls = { listen: ['127.1.0.1:5349'], cert: '/etc/tls/a.pem' } }, issues: [['regions[0].relays[0].tls.key', 'schema']], says: 'is required' },
  { name: 'a control plane URL with a path is refused', mutate: (d) => { d.regions[0].controlPlane.url = 'http://127.0.0.1:8080/api' }, issues: [['regions[0].controlPlane.url', 'url_invalid']] },
  { name: 'two regions cannot share a control plane URL', mutate: (d) => { d.regions[1].controlPlane.url = 'http://127.0.0.1:8080/' }, issues: [['regions[1].controlPlane.url', 'url_duplicate']] },
  { name: 'a redis URL naming no database number is refused', mutate: (d) => { d.regions[0].redis.url = 'redis://127.0.0.1:6379/main' }, issues: [['regions[0].redis.url', 'redis_url_invalid']] },
  { name: 'a bad literal redis URL is shown with its password masked', mutate: (d) => { d.regions[0].redis.url = 'redis://:hunter2hunter2@127.0.0.1:6379/main' }, issues: [['regions[0].redis.url', 'redis_url_invalid']], says: '***@127.0.0.1', never: 'hunter2hunter2' },
  { name: 'a bad redis URL from the environment is never echoed', mutate: (d) => { d.regions[0].redis.url = { env: 'EU_REDIS_URL' } }, env: { ...baseEnv, EU_REDIS_URL: 'redis://:pw-in-env-123@10.0.0.1:6379/x' }, issues: [['regions[0].redis.url', 'redis_url_invalid']], says: 'from the environment', never: 'pw-in-env-123' },
  { name: 'a sentinel node that is not host:port is refused', mutate: (d) => { d.regions[0].redis = { sentinel: { name: 'main', nodes: ['sentinel-0.internal:26379', 'bad host:26379'] } } }, issues: [['regions[0].redis.sentinel.nodes[1]', 'address_invalid']] },
]

for (const c of CASES) {
  t.test(c.name, async (t) => {
    const doc = baseDoc()
    c.mutate(doc)
    const error = t.throws(() => parseDoc(doc, c.env ?? baseEnv)) as unknown
    if (!(error instanceof ConfigError)) return t.fail(`expected a ConfigError, got ${String(error)}`)
    t.equal(error.code, 'CONFIG_INVALID')
    t.same(error.issues.map((issue) => [issue.path, issue.rule]), c.issues, error.message)
    if (c.says !== undefined) t.match(error.issues[0]?.message, c.says)
    if (c.never !== undefined) t.notMatch(error.message, c.never)
    for (const issue of error.issues) t.type(issue.line, 'number', `${issue.path} has a line`)
  })
}

t.test('every cross-field error of a file is reported at once', async (t) => {
  const doc = baseDoc()
  doc.regions[1].country = 'XX'
  doc.tenants[0].allowedRegions[1] = 'mars'
  doc.relay.ports = { min: 60000, max: 50000 }
  const error = t.throws(() => parseDoc(doc)) as ConfigError
  t.same(error.issues.map((issue) => issue.path), ['regions[1].country', 'tenants[0].allowedRegions[1]', 'relay.ports.min'])
  t.match(error.message, /3 errors/)
})

t.test('every schema error of a file is reported at once', async (t) => {
  const doc = baseDoc()
  doc.regions[0].colour = 'red'
  doc.tenants[1].id = 'Beta'
  delete doc.admin
  const error = t.throws(() => parseDoc(doc)) as ConfigError
  t.same(error.issues.map((issue) => [issue.path, issue.rule]), [['regions[0].colour', 'unknown_key'], ['tenants[1].id', 'schema'], ['admin', 'schema']])
})

t.test('errors point at the line and column of the bad value', async (t) => {
  const doc = baseDoc()
  doc.regions[0].country = 'XX'
  const lines = toYaml(doc).split('\n')
  const line = lines.findIndex((l) => l.includes('country: XX')) + 1
  const error = t.throws(() => parseDoc(doc)) as ConfigError
  t.equal(error.issues[0]?.line, line)
  t.equal(error.issues[0]?.column, (lines[line - 1] ?? '').indexOf('XX') + 1)
  t.match(error.message, `regions[0].country (line ${line}:`)
})

t.test('an unknown key is located at the key itself', async (t) => {
  const text = ['version: 1', 'colour: red', ''].join('\n')
  const e = t.throws(() => parseConfig({ text })) as ConfigError
  const issue = e.issues.find((i) => i.rule === 'unknown_key')
  t.same([issue?.path, issue?.line, issue?.column], ['colour', 2, 1])
})

t.test('hashApiKey is what the fixtures use (sanity of the table above)', async (t) => {
  t.equal(baseDoc().admin.apiKeys[0].sha256.length, 64)
  t.not(hashApiKey('a'), hashApiKey('b'))
})

t.test('no error message ever contains a secret value, whatever is wrong with it', async (t) => {
  const doc = baseDoc()
  doc.regions[0].relaySecrets[0].value = 'Sx§1'
  doc.regions[0].reportKey = 'Sx§2'
  doc.regions[1].redis = { sentinel: { name: 'main', nodes: ['s:1'], password: 'Sx§3' } }
  doc.tenants[0].tokenSecret = ['Sx§4']
  doc.tenants[1].tokenSecret = { env: 'BETA_TOKEN_SECRET', extra: 'Sx§5' }
  const error = t.throws(() => parseDoc(doc)) as ConfigError
  t.ok(error.issues.length >= 5, `${error.issues.length} issues`)
  t.notMatch(error.message, 'Sx§')
  t.notMatch(JSON.stringify(error.issues), 'Sx§')
})
