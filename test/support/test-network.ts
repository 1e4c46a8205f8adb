/**
 * Network configs and meeting records for tests that run real relays and control planes:
 * a few lines per test instead of a page of YAML each. Loopback only; 127.x ranges stand
 * for countries through geo overrides.
 */
import { parseConfig } from '../../config/load-config.js'
import type { NetworkConfig } from '../../config/network-config.js'
import type { MeetingSecuritySettings } from '../../config/schema.js'

export interface TestRegion {
  id: string
  country: string
  secret: string
  redis?: string
  relays?: string[]
}

const COORDINATES: Record<string, string> = { DE: '{ lat: 50.1, lon: 8.7 }', US: '{ lat: 38.9, lon: -77.0 }', IN: '{ lat: 19.1, lon: 72.9 }' }

/** YAML of a network: the given regions (control-plane URLs on unused ports), overrides, loopback peers allowed. */
export function testNetworkYaml(regions: TestRegion[], overrides: Record<string, string> = {}, redis = 'redis://127.0.0.1:6379', secrets?: string[]): string {
  const region = (r: TestRegion, i: number): string => `
  - id: ${r.id}
    country: ${r.country}
    location: ${COORDINATES[r.country] ?? '{ lat: 0, lon: 0 }'}
    controlPlane: { url: "http://127.0.0.1:${18080 + i}" }
    redis: { url: "${r.redis ?? redis}" }
    relaySecrets: [ ${(secrets ?? [r.secret]).map((v, k) => `{ id: ${r.id.replace(/-/g, '')}${(secrets?.length ?? 1) - k}, value: "${v}" }`).join(', ')} ]
    relays: [${(r.relays ?? []).map((id) => `{ id: ${id}, listen: ["127.0.0.1:0"] }`).join(', ')}]`
  const geo = Object.entries(overrides).map(([cidr, country]) => `    - { cidr: ${cidr}, country: ${country} }`).join('\n')
  return `version: 1
regions:${regions.map(region).join('')}
geo:
  watch: false
  overrides:${geo ? `\n${geo}` : ' []'}
relay: { allowPeers: [127.0.0.0/8], prewarmAllocations: 0 }
admin: { apiKeys: [ { id: admin, sha256: "${'a'.repeat(64)}" } ] }
`
}

/** `secrets`, when given, replaces every region's single secret (newest first: rotation tests). */
export function testNetwork(regions: TestRegion[], overrides: Record<string, string> = {}, redis?: string, secrets?: string[]): NetworkConfig {
  return parseConfig({ source: 'test-network', text: testNetworkYaml(regions, overrides, redis, secrets) })
}

/** Meeting settings with no passcode and join-before-host on: the relay tests need no admission. */
export const OPEN_MEETING_SETTINGS: MeetingSecuritySettings = {
  passcodeRequired: false, waitingRoom: false, joinBeforeHost: true, hostOnlyScreenShare: true, fileTransfer: false,
  recording: 'host', allowRejoinAfterRemoval: false, capacity: 10, keyMode: 'e2ee',
}
