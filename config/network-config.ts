/**
 * The network config as every process sees it after loading: schema defaults applied,
 * secret references resolved to their values, cross-field rules passed, deeply frozen,
 * with lookups by id and by API key hash.
 *
 * The types mirror config/schema.ts with every `SecretRef` (string | {env}) resolved to
 * a string and every property read-only.
 */
import type { NetworkConfigInput } from './schema.js'

type EnvReference = { env: string }

/**
 * Schema input type → loaded type: secret references become strings, properties
 * read-only. Arrays keep mutable array types on purpose, so a loaded section can be
 * passed where the schema's own types (RegionConfig, RedisSettings, ...) are expected;
 * at run time they are frozen like everything else (a write throws).
 */
export type Resolved<T> = T extends EnvReference
  ? string
  : T extends readonly (infer Item)[]
    ? Resolved<Item>[]
    : T extends object
      ? { readonly [K in keyof T]: Resolved<T[K]> }
      : T

export type NetworkConfigData = Resolved<NetworkConfigInput>
export type Region = NetworkConfigData['regions'][number]
export type RelayInstance = Region['relays'][number]
export type RelaySecret = Region['relaySecrets'][number]
export type MediaKek = Region['mediaKeks'][number]
export type ControlPlaneSettings = Region['controlPlane']
export type ControlPlaneLimits = ControlPlaneSettings['limits']
export type RedisConnection = Region['redis']
export type Jurisdiction = NetworkConfigData['jurisdictions'][number]
export type GeoSettings = NetworkConfigData['geo']
export type GeoOverride = GeoSettings['overrides'][number]
export type Tenant = NetworkConfigData['tenants'][number]
export type ApiKeyEntry = Tenant['apiKeys'][number]
export type AttendeePolicy = Tenant['attendeePolicy']
export type MeetingSecurity = Tenant['security']
export type RelaySettings = NetworkConfigData['relay']

/** Who an API key belongs to. */
export type ApiKeyOwner =
  | { readonly kind: 'tenant'; readonly tenant: Tenant; readonly keyId: string }
  | { readonly kind: 'admin'; readonly keyId: string }

export interface NetworkLookups {
  regionById(id: string): Region | undefined
  tenantById(id: string): Tenant | undefined
  /** The tenant owning the API key with this SHA-256 (see config/api-key.ts `hashApiKey`). */
  tenantByApiKeyHash(sha256: string): Tenant | undefined
  /** Tenant or admin owner of the API key with this SHA-256. */
  apiKeyOwner(sha256: string): ApiKeyOwner | undefined
  /** A relay instance and the region that declares it. */
  relayById(id: string): { readonly region: Region; readonly relay: RelayInstance } | undefined
}

export type NetworkConfig = NetworkConfigData & NetworkLookups & {
  /** Where the config came from (a file path or the caller's label). */
  readonly source: string
  /**
   * Environment variables that were not set and got placeholders (only when loaded with
   * `missingEnv: 'placeholder'`; always empty otherwise). Never run such a config.
   */
  readonly unsetEnv: readonly string[]
}

/**
 * Adds the lookups and freezes the whole tree. The lookups close over private maps, so
 * a frozen config still answers in O(1). Hash lookups go through a Map: an attacker
 * timing them learns about SHA-256 outputs, not about the keys.
 */
export function finishConfig(data: NetworkConfigData, source: string, unsetEnv: readonly string[] = []): NetworkConfig {
  const regions = new Map(data.regions.map((region) => [region.id, region]))
  const tenants = new Map(data.tenants.map((tenant) => [tenant.id, tenant]))
  const relays = new Map(data.regions.flatMap((region) => region.relays.map((relay) => [relay.id, { region, relay }] as const)))
  const owners = new Map<string, ApiKeyOwner>()
  for (const tenant of data.tenants) {
    for (const key of tenant.apiKeys) owners.set(key.sha256, { kind: 'tenant', tenant, keyId: key.id })
  }
  for (const key of data.admin.apiKeys) owners.set(key.sha256, { kind: 'admin', keyId: key.id })

  const lookups: NetworkLookups = {
    regionById: (id) => regions.get(id),
    tenantById: (id) => tenants.get(id),
    tenantByApiKeyHash: (sha256) => {
      const owner = owners.get(sha256)
      return owner?.kind === 'tenant' ? owner.tenant : undefined
    },
    apiKeyOwner: (sha256) => owners.get(sha256),
    relayById: (id) => relays.get(id),
  }
  for (const owner of owners.values()) Object.freeze(owner)
  for (const entry of relays.values()) Object.freeze(entry)
  return deepFreeze({ ...data, ...lookups, source, unsetEnv })
}

export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key])
  }
  return value
}
