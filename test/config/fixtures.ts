/**
 * A small valid network config as plain data, for tests that break one thing at a time.
 * Tests turn it into YAML text so errors also get line numbers, as they would from a file.
 */
import { stringify } from 'yaml'

import { hashApiKey } from '../../config/api-key.js'
import { parseConfig } from '../../config/load-config.js'
import type { NetworkConfig } from '../../config/network-config.js'
import type { Environment } from '../../config/secrets.js'

// The fixtures are edited freely by tests, so they are typed loosely on purpose.
export type Doc = any

export const TENANT_KEY = 'sk_test_acme_key_for_tests_only_0000000000000'
export const ADMIN_KEY = 'sk_admin_ops_key_for_tests_only_000000000000000'

export function baseDoc(): Doc {
  return {
    version: 1,
    name: 'test-network',
    regions: [
      {
        id: 'eu-central',
        country: 'DE',
        location: { lat: 50.11, lon: 8.68 },
        controlPlane: { url: 'http://127.0.0.1:8080', listen: '127.0.0.1:8080' },
        redis: { url: 'redis://127.0.0.1:6379/0' },
        relaySecrets: [{ id: 'eu-a', value: 'eu-relay-secret-literal' }],
        relays: [
          { id: 'eu-1', listen: ['127.1.0.1:3478'] },
          { id: 'eu-2', listen: ['127.1.0.2:3478'] },
        ],
      },
      {
        id: 'us-east',
        country: 'US',
        location: { lat: 38.96, lon: -77.36 },
        controlPlane: { url: 'http://127.0.0.1:8081', listen: '127.0.0.1:8081' },
        redis: { url: 'redis://127.0.0.1:6379/0' },
        relaySecrets: [{ id: 'us-a', value: { env: 'US_RELAY_SECRET' } }],
        relays: [{ id: 'us-1', listen: ['127.2.0.1:3478'] }],
      },
    ],
    jurisdictions: [{ id: 'NORDICS', countries: ['DK', 'FI', 'IS', 'NO', 'SE'] }],
    geo: {
      overrides: [
        { cidr: '127.1.0.0/16', country: 'DE' },
        { cidr: '127.2.0.0/16', country: 'US' },
        { cidr: '2001:db8::/32', country: 'FR' },
      ],
    },
    relay: { allowPeers: ['127.0.0.0/8'] },
    tenants: [
      {
        id: 'acme',
        apiKeys: [{ id: 'acme-1', sha256: hashApiKey(TENANT_KEY) }],
        tokenSecret: 'acme-token-secret-literal',
        allowedRegions: ['eu-central', 'us-east'],
        defaultRegion: 'eu-central',
        allowedJurisdictions: ['EU'],
      },
      {
        id: 'beta',
        apiKeys: [{ id: 'beta-1', sha256: hashApiKey('beta key') }],
        tokenSecret: { env: 'BETA_TOKEN_SECRET' },
        allowedRegions: ['eu-central'],
        defaultRegion: 'eu-central',
        residencyMode: 'jurisdiction',
        allowedJurisdictions: ['EU', 'NORDICS', 'CH'],
        attendeePolicy: { mode: 'block', countries: ['CN'] },
      },
    ],
    admin: { apiKeys: [{ id: 'ops', sha256: hashApiKey(ADMIN_KEY) }] },
  }
}

export const baseEnv: Environment = {
  US_RELAY_SECRET: 'us-relay-secret-from-env',
  BETA_TOKEN_SECRET: 'beta-token-secret-from-env',
}

export function toYaml(doc: Doc): string {
  return stringify(doc)
}

export function parseDoc(doc: Doc, env: Environment = baseEnv): NetworkConfig {
  return parseConfig({ text: toYaml(doc), source: 'test.yaml' }, { env })
}
