import t from 'tap'

import { REDACTED, redactConfig } from '../../config/redact.js'
import { baseDoc, baseEnv, parseDoc } from './fixtures.js'

t.test('a redacted config holds no secret and keeps everything else', async (t) => {
  const doc = baseDoc()
  doc.regions[0].reportKey = 'report-key-pem-literal'
  doc.regions[0].redis = { url: 'redis://:redis-password-1@127.0.0.1:6379/0' }
  doc.regions[1].redis = { sentinel: { name: 'main', nodes: ['s-0.internal:26379'], password: 'sentinel-password-1' } }
  const config = parseDoc(doc)
  const redacted = redactConfig(config)
  const text = JSON.stringify(redacted)
  for (const secret of ['eu-relay-secret-literal', baseEnv['US_RELAY_SECRET'] as string, 'acme-token-secret-literal', baseEnv['BETA_TOKEN_SECRET'] as string, 'report-key-pem-literal', 'redis-password-1', 'sentinel-password-1']) {
    t.notMatch(text, secret, 'a secret is gone')
  }
  t.equal(redacted.regions[0]?.relaySecrets[0]?.value, REDACTED)
  t.equal(redacted.regions[0]?.relaySecrets[0]?.id, 'eu-a', 'secret ids stay: they are how logs name secrets')
  t.equal(redacted.tenants[1]?.tokenSecret, REDACTED)
  t.same(redacted.regions[0]?.redis, { url: 'redis://:redacted@127.0.0.1:6379/0' })
  t.same(redacted.regions[1]?.redis, { sentinel: { name: 'main', nodes: ['s-0.internal:26379'], password: REDACTED } })
  t.same(redacted.geo, config.geo)
  t.same(redacted.relay, config.relay)
  t.equal(redacted.tenants[0]?.apiKeys[0]?.sha256, config.tenants[0]?.apiKeys[0]?.sha256, 'hashes are not secrets')
})

t.test('a redis URL without a password is shown as it is', async (t) => {
  const redacted = redactConfig(parseDoc(baseDoc()))
  t.same(redacted.regions[0]?.redis, { url: 'redis://127.0.0.1:6379/0' })
})
