/**
 * A two-region network for control-plane app tests: eu-central and us-east, each with
 * its own region state on the shared test Redis under a unique prefix (or the memory
 * backend), and one app per region built from the same config. Only eu-central has a
 * media KEK, so managed key mode works there and is refused in the other regions.
 */
import { randomBytes } from 'node:crypto'

import { hashApiKey, generateApiKey } from '../../../config/api-key.js'
import { parseConfig } from '../../../config/load-config.js'
import type { NetworkConfig } from '../../../config/network-config.js'
import { buildApp, type AppOptions, type ControlPlaneApp } from '../../../control-plane/app.js'
import { generateReportKeyPair } from '../../../control-plane/report/report-signature.js'
import type { GeoLookup } from '../../../geo/geo-result.js'
import { MemoryRegion } from '../../../state/memory/backend.js'
import { openRegionState, type RegionState } from '../../../state/region-state.js'

export const REDIS_URL = 'redis://127.0.0.1:6379'

export interface Keys {
  readonly acme: string
  readonly globex: string
  readonly admin: string
}

export interface Network {
  readonly config: NetworkConfig
  readonly keys: Keys
  readonly prefix: string
  readonly reportKey: { privateKeyPem: string; publicKeyPem: string; keyId: string }
  readonly tokenSecrets: { readonly acme: string; readonly globex: string }
  /** The YAML the config was parsed from (node tests write it to a file). */
  readonly text: string
}

export function network(options: { euReportKey?: boolean } = {}): Network {
  const keys = { acme: generateApiKey('test'), globex: generateApiKey('test'), admin: generateApiKey('admin') }
  const reportKey = generateReportKeyPair()
  const tokenSecrets = { acme: `acme-${randomBytes(12).toString('hex')}`, globex: `globex-${randomBytes(12).toString('hex')}` }
  const indent = (pem: string) => pem.trim().split('\n').map((l) => `        ${l}`).join('\n')
  const euKey = options.euReportKey ?? true ? `    reportKey: |\n${indent(reportKey.privateKeyPem)}\n` : ''
  const text = `
version: 1
regions:
  - id: eu-central
    country: DE
    location: { lat: 50.11, lon: 8.68 }
    controlPlane: { url: http://127.0.0.1:18080 }
    redis: { url: ${REDIS_URL} }
    relaySecrets: [{ id: eu-a, value: eu-central-relay-secret-for-tests }]
    mediaKeks: [{ id: eu-kek-1, value: eu-central-media-kek-for-tests }]
${euKey}  - id: eu-north
    country: SE
    location: { lat: 59.33, lon: 18.07 }
    controlPlane: { url: http://127.0.0.1:18082 }
    redis: { url: ${REDIS_URL} }
    relaySecrets: [{ id: en-a, value: eu-north-relay-secret-for-tests }]
  - id: us-east
    country: US
    location: { lat: 38.96, lon: -77.36 }
    controlPlane: { url: http://127.0.0.1:18081/ }
    redis: { url: ${REDIS_URL} }
    relaySecrets: [{ id: us-a, value: us-east-relay-secret-for-tests }]
geo:
  overrides:
    - { cidr: 127.1.0.0/16, country: DE }
    - { cidr: 127.4.0.0/16, country: FR }
    - { cidr: 127.5.0.0/16, country: CN }
tenants:
  - id: acme
    apiKeys: [{ id: acme-1, sha256: ${hashApiKey(keys.acme)} }]
    tokenSecret: ${tokenSecrets.acme}
    allowedRegions: [eu-central, eu-north, us-east]
    defaultRegion: eu-central
    allowedJurisdictions: [EU]
    security: { waitingRoom: false }
  - id: globex
    apiKeys: [{ id: globex-1, sha256: ${hashApiKey(keys.globex)} }]
    tokenSecret: ${tokenSecrets.globex}
    allowedRegions: [us-east]
    defaultRegion: us-east
    security: { passcodeRequired: false, allowRejoinAfterRemoval: true }
admin:
  apiKeys: [{ id: ops-1, sha256: ${hashApiKey(keys.admin)} }]
`
  const config = parseConfig({ text, source: '<test network>' }, { env: {} })
  return { config, keys, prefix: `t${randomBytes(6).toString('hex')}`, reportKey, tokenSecrets, text }
}

export interface RegionApp {
  readonly app: ControlPlaneApp
  readonly state: RegionState
  close(): Promise<void>
}

export interface StartOptions {
  readonly nodeId?: string
  readonly memory?: Map<string, MemoryRegion>
  readonly geo?: GeoLookup
  readonly now?: () => number
  readonly state?: RegionState
  readonly logger?: AppOptions['logger']
}

/** Opens the region's state (Redis, unless `memory` is given) and builds its app. */
export async function startRegion(net: Network, region: string, options: StartOptions = {}): Promise<RegionApp> {
  const state = options.state ?? openRegionState({
    region,
    redis: options.memory ? { memory: true } : { url: REDIS_URL },
    prefix: net.prefix,
    ...(options.memory ? { memoryBackends: options.memory, warn: () => undefined } : {}),
  })
  if (state.kind === 'redis') await Promise.all([state.health.when('connected'), state.subscriberHealth.when('connected')])
  const app = await buildApp({
    region, nodeId: options.nodeId ?? `${region}-cp-1`, config: () => net.config, state, defaultMetrics: false,
    ...(options.geo ? { geo: options.geo } : {}),
    ...(options.now ? { now: options.now } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  })
  return {
    app,
    state,
    async close() {
      await app.close()
      if (!options.state) await state.close()
    },
  }
}

/** Every key under the test prefix in the shared Redis (all regions). */
export async function keysUnder(state: RegionState, pattern: string): Promise<string[]> {
  const redis = state.connection!.command
  const found: string[] = []
  let cursor = '0'
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
    cursor = next
    found.push(...batch)
  } while (cursor !== '0')
  return found
}

export async function dropPrefix(state: RegionState, prefix: string): Promise<void> {
  const keys = await keysUnder(state, `${prefix}:*`)
  if (keys.length > 0) await state.connection!.command.del(...keys)
}

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` })
