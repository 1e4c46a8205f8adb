/**
 * The network config: one YAML file describes the whole network and every process
 * reads it. This module is the single source of truth for its shape; `load-config.ts`
 * validates a parsed document against it (strictly: unknown keys are refused) and then
 * applies the cross-field rules that a JSON schema cannot express.
 */
import { Type, type Static } from '@sinclair/typebox'

/*
 * `description` texts are shown to operators in error messages ("must be <description>"),
 * so they are written to complete that sentence.
 */
const Id = Type.String({ pattern: '^[a-z][a-z0-9-]{0,30}[a-z0-9]$', description: 'a lower-case id of 2-32 letters, digits and dashes, e.g. eu-central' })
/** ISO 3166-1 alpha-2, upper case. Membership in the real list is checked by geo/countries. */
export const CountryCode = Type.String({ pattern: '^[A-Z]{2}$', description: 'an ISO 3166-1 alpha-2 country code in upper case, e.g. DE' })
const Cidr = Type.String({ minLength: 3, description: 'an IPv4 or IPv6 CIDR, e.g. 127.1.0.0/16' })
const HostPort = Type.String({ minLength: 3, description: 'host:port, IPv6 as [::1]:3478' })

/** A reference to an environment variable; resolved by load-config, never printed. */
export const EnvRef = Type.Object({
  env: Type.String({ pattern: '^[A-Z_][A-Z0-9_]*$', description: 'an environment variable name in upper case, e.g. RELAY_SECRET_EU' }),
}, { additionalProperties: false })

/** A secret is given literally (tests, local network) or as a reference to an environment variable. */
export const SecretRef = Type.Union([
  Type.String({ minLength: 8 }),
  EnvRef,
], { description: 'a secret: a string of at least 8 characters, or {env: NAME}', secret: true })

export const RedisConfig = Type.Union([
  /** A URL may carry a password, so it can come from the environment too. */
  Type.Object({
    url: Type.Union([
      Type.String({ pattern: '^rediss?://', description: 'a redis:// or rediss:// URL' }),
      EnvRef,
    ], { description: 'a redis:// or rediss:// URL, or {env: NAME}', secret: true }),
  }, { additionalProperties: false }),
  Type.Object({
    sentinel: Type.Object({
      name: Type.String({ minLength: 1 }),
      nodes: Type.Array(HostPort, { minItems: 1 }),
      password: Type.Optional(SecretRef),
    }, { additionalProperties: false }),
  }, { additionalProperties: false }),
  Type.Object({
    cluster: Type.Object({
      nodes: Type.Array(HostPort, { minItems: 1 }),
      password: Type.Optional(SecretRef),
    }, { additionalProperties: false }),
  }, { additionalProperties: false }),
  /** Single-process only; the local network falls back to it when no Redis answers. */
  Type.Object({ memory: Type.Literal(true) }, { additionalProperties: false }),
])

export const RelaySecret = Type.Object({
  /** Short id so logs and metrics can say which secret was used; never the secret itself. */
  id: Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$', description: '1-32 letters, digits, dashes or underscores' }),
  value: SecretRef,
}, { additionalProperties: false })

/**
 * A key-encryption key (KEK) for managed key mode: an operator secret of at least 16
 * characters (a cross-field rule checks the length, also of values from the environment),
 * from which each region derives its AES-256 KEK with HKDF (control-plane/keys/at-rest.ts).
 */
export const MediaKek = Type.Object({
  /** Stored next to every sealed media key, so rotation knows which KEK opens it; never the secret. */
  id: Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$', description: '1-32 letters, digits, dashes or underscores' }),
  value: SecretRef,
}, { additionalProperties: false })

/** A fixed-window request budget. */
const RequestWindow = (max: number, windowSeconds: number) => Type.Object({
  max: Type.Integer({ minimum: 1, default: max, description: 'requests per window' }),
  windowSeconds: Type.Integer({ minimum: 1, maximum: 3600, default: windowSeconds }),
}, { additionalProperties: false, default: {} })

/**
 * Abuse limits of a region's control plane. Every field has a default, so any subset may
 * be given; the defaults suit one tenant backend per API key and participants behind a
 * shared NAT joining a large meeting.
 */
export const ControlPlaneLimits = Type.Object({
  signaling: Type.Object({
    /** Token bucket per signaling socket: messages per second, and the burst. Over it: SR_RATE_LIMITED, close 4008. */
    messagesPerSecond: Type.Number({ minimum: 0.1, maximum: 10000, default: 50 }),
    messageBurst: Type.Integer({ minimum: 1, maximum: 100000, default: 200 }),
    /** Largest text frame accepted, at most the protocol's 65536. Over it: SR_MESSAGE_TOO_LARGE, close 4016. */
    maxMessageBytes: Type.Integer({ minimum: 8192, maximum: 65536, default: 65536 }),
    /** Time from opening the socket to its `join`. Over it: SR_JOIN_TIMEOUT, close 4012. */
    joinTimeoutSeconds: Type.Number({ minimum: 1, maximum: 300, default: 10 }),
    /** New signaling sockets per client address and node (token bucket). Over it: SR_RATE_LIMITED, close 4008. */
    joinsPerAddress: Type.Object({
      perSecond: Type.Number({ minimum: 0.1, maximum: 10000, default: 10 }),
      burst: Type.Integer({ minimum: 1, maximum: 100000, default: 100 }),
    }, { additionalProperties: false, default: {} }),
    /** Bytes queued for one socket that does not read (slow reader); over it: SR_SLOW_CONSUMER, close 4019. */
    maxBufferedBytes: Type.Integer({ minimum: 65536, maximum: 67108864, default: 1048576 }),
    /** Sockets open but not joined yet, per client address and per node. Over it a new socket gets SR_TOO_MANY_UNJOINED, close 4021. */
    unjoinedSockets: Type.Object({
      perAddress: Type.Integer({ minimum: 1, maximum: 100000, default: 20 }),
      perNode: Type.Integer({ minimum: 1, maximum: 1000000, default: 2000 }),
    }, { additionalProperties: false, default: {} }),
    /**
     * Presence lease: the node holding a participant's socket renews it every
     * `renewSeconds`; a participant whose lease runs out (its node died) leaves.
     */
    presence: Type.Object({
      leaseSeconds: Type.Number({ minimum: 0.5, maximum: 600, default: 15 }),
      renewSeconds: Type.Number({ minimum: 0.1, maximum: 200, default: 5 }),
    }, { additionalProperties: false, default: {} }),
    /**
     * Failover: how often each node reads the fleet of the relays it handed out; a dead relay's
     * calls move about `relay.heartbeat.ttlSeconds` plus this after its last beat. 0.25 s (with
     * the 1.5 s TTL) keeps a SIGKILL's media gap under 3 s (issue 12); each read is one fleet
     * read per watched region per node.
     */
    fleetWatchSeconds: Type.Number({ minimum: 0.05, maximum: 60, default: 0.25 }),
  }, { additionalProperties: false, default: {} }),
  /** HTTP API: requests with a valid API key count against that key, all others against the client address. Over it: 429 SR_RATE_LIMITED. */
  http: Type.Object({
    perApiKey: RequestWindow(6000, 60),
    perAddress: RequestWindow(600, 60),
  }, { additionalProperties: false, default: {} }),
}, { additionalProperties: false, default: {} })

/**
 * Passcode strength and guessing limits. Wrong passcodes are counted per identity and per
 * meeting in the region's state; after `freeFailures` wrong ones an identity must wait
 * `backoffSeconds` (doubling per further failure) before its next try, and at
 * `maxFailuresPerIdentity` / `maxFailuresPerMeeting` within `windowSeconds` every try is
 * refused until the window ends (SR_PASSCODE_ATTEMPTS, close 4023, with a retry hint).
 */
export const PasscodePolicy = Type.Object({
  /** Shortest passcode a meeting may have, given by the tenant or generated (generated ones are at least 12 digits). Shorter: 422 SR_PASSCODE_TOO_WEAK. */
  minLength: Type.Integer({ minimum: 4, maximum: 64, default: 6 }),
  windowSeconds: Type.Integer({ minimum: 10, maximum: 86400, default: 900 }),
  freeFailures: Type.Integer({ minimum: 0, maximum: 100, default: 3 }),
  backoffSeconds: Type.Number({ minimum: 0, maximum: 3600, default: 1 }),
  maxFailuresPerIdentity: Type.Integer({ minimum: 1, maximum: 10000, default: 10 }),
  maxFailuresPerMeeting: Type.Integer({ minimum: 1, maximum: 1000000, default: 100 }),
}, { additionalProperties: false, default: {} })

export const RelayInstance = Type.Object({
  id: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$', description: 'a lower-case relay id of letters, digits and dashes, e.g. eu-central-1' }),
  /** Addresses the TURN server listens on (UDP and TCP on each). */
  listen: Type.Array(HostPort, { minItems: 1 }),
  /** Address relayed allocations are bound on; defaults to the listen host. */
  relayAddress: Type.Optional(Type.String()),
  /** Behind 1:1 NAT: the public IP (or a host name, resolved once at start) advertised in XOR-RELAYED-ADDRESS and the fleet instead of the bound address. */
  publicAddress: Type.Optional(Type.String()),
  /** TURN over TLS (`turns:`): listeners of their own, and the certificate files (re-read on SIGHUP). */
  tls: Type.Optional(Type.Object({
    listen: Type.Array(HostPort, { minItems: 1 }),
    cert: Type.String({ minLength: 1, description: 'PEM certificate chain file' }),
    key: Type.String({ minLength: 1, description: 'PEM private key file' }),
    /** Host name in the `turns:` URLs handed out; must be on the certificate. Default: publicAddress if it is a name, else the advertised IP. */
    name: Type.Optional(Type.String()),
  }, { additionalProperties: false })),
  metrics: Type.Optional(HostPort),
  capacity: Type.Optional(Type.Integer({ minimum: 1, default: 10000, description: 'allocations' })),
}, { additionalProperties: false })

export const Region = Type.Object({
  id: Id,
  name: Type.Optional(Type.String()),
  country: CountryCode,
  location: Type.Object({
    lat: Type.Number({ minimum: -90, maximum: 90 }),
    lon: Type.Number({ minimum: -180, maximum: 180 }),
  }, { additionalProperties: false }),
  controlPlane: Type.Object({
    /** Public base URL; redirects to this region use it. */
    url: Type.String({ pattern: '^https?://', description: 'an http:// or https:// URL' }),
    /** Address to listen on when this process is the region's control plane. */
    listen: Type.Optional(HostPort),
    /**
     * Reverse proxies / load balancers in front of the control plane. X-Forwarded-For is
     * believed only from a peer in these ranges, and then read from the right up to the
     * first address that is not a trusted proxy. Default: trust nobody (the socket's peer
     * address is the participant's address, for attendee country policy and the endpoint set).
     */
    trustedProxies: Type.Array(Cidr, { default: [] }),
    limits: ControlPlaneLimits,
    /** How far in the future a participant token's `iat` may lie (the minting backend's clock ahead of ours). Beyond it: SR_TOKEN_NOT_YET_VALID. */
    tokenClockSkewSeconds: Type.Integer({ minimum: 0, maximum: 3600, default: 60 }),
    /** Meeting passcodes: their minimum strength, and how wrong guesses are slowed down and then refused. */
    passcodes: PasscodePolicy,
    /**
     * Address of this node's Prometheus listener (GET /metrics, /healthz, /readyz), apart
     * from the public API port, as relays have it; `--metrics` overrides it. Omitted: no
     * such listener. On the API port /metrics always needs an operator (admin) key.
     */
    metricsListen: Type.Optional(HostPort),
  }, { additionalProperties: false }),
  redis: RedisConfig,
  /** TURN REST secrets, newest first: the first signs, all verify (rotation by overlap). */
  relaySecrets: Type.Array(RelaySecret, { minItems: 1 }),
  /**
   * Managed key mode: KEKs newest first; the first seals new media keys, every listed one
   * opens (rotation by overlap). None: managed-mode meetings are refused in this region.
   */
  mediaKeks: Type.Array(MediaKek, { default: [] }),
  /** Ed25519 private key (PKCS#8 PEM) that signs residency reports of this region. */
  reportKey: Type.Optional(SecretRef),
  /** Relays this config starts or expects (the local network starts them; k8s ignores it). */
  relays: Type.Array(RelayInstance, { default: [] }),
}, { additionalProperties: false })

export const Jurisdiction = Type.Object({
  id: Type.String({ pattern: '^[A-Za-z][A-Za-z0-9-]{0,31}$', description: 'a name of 1-32 letters, digits and dashes, e.g. NORDICS' }),
  name: Type.Optional(Type.String()),
  countries: Type.Array(CountryCode, { minItems: 1 }),
}, { additionalProperties: false })

export const GeoOverride = Type.Object({
  cidr: Cidr,
  country: CountryCode,
  note: Type.Optional(Type.String()),
}, { additionalProperties: false })

export const GeoConfig = Type.Object({
  /** MMDB file; omitted means the embedded CC0 database. */
  database: Type.Optional(Type.String({ minLength: 1 })),
  overrides: Type.Array(GeoOverride, { default: [] }),
  /** Re-read the database when the file changes. */
  watch: Type.Boolean({ default: true }),
}, { additionalProperties: false })

export const AttendeePolicy = Type.Object({
  /** open: anyone; allow: only listed countries; block: all but listed countries. */
  mode: Type.Union([Type.Literal('open'), Type.Literal('allow'), Type.Literal('block')], { default: 'open' }),
  countries: Type.Array(CountryCode, { default: [] }),
  /** What to do with an address no database places. Under an allow-list only 'deny' makes sense. */
  unknown: Type.Union([Type.Literal('allow'), Type.Literal('deny')], { default: 'deny' }),
}, { additionalProperties: false })

export const ResidencyMode = Type.Union([Type.Literal('region'), Type.Literal('jurisdiction')])
export const KeyMode = Type.Union([Type.Literal('e2ee'), Type.Literal('managed')])
export const RecordingRight = Type.Union([Type.Literal('off'), Type.Literal('host'), Type.Literal('everyone')])

export const MeetingSecurity = Type.Object({
  passcodeRequired: Type.Boolean({ default: true }),
  waitingRoom: Type.Boolean({ default: false }),
  joinBeforeHost: Type.Boolean({ default: false }),
  hostOnlyScreenShare: Type.Boolean({ default: true }),
  fileTransfer: Type.Boolean({ default: false }),
  recording: Type.Union([Type.Literal('off'), Type.Literal('host'), Type.Literal('everyone')], { default: 'host' }),
  allowRejoinAfterRemoval: Type.Boolean({ default: false }),
  capacity: Type.Integer({ minimum: 1, maximum: 10000, default: 100 }),
  keyMode: Type.Union([Type.Literal('e2ee'), Type.Literal('managed')], { default: 'e2ee' }),
}, { additionalProperties: false })

export const ApiKey = Type.Object({
  id: Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$', description: '1-32 letters, digits, dashes or underscores' }),
  /** hex SHA-256 of the key; the key itself never appears in the config. */
  sha256: Type.String({ pattern: '^[0-9a-f]{64}$', description: 'the lower-case hex SHA-256 of the key (64 characters; `sovereign config hash-key` prints it)' }),
}, { additionalProperties: false })

export const Tenant = Type.Object({
  id: Id,
  name: Type.Optional(Type.String()),
  apiKeys: Type.Array(ApiKey, { minItems: 1 }),
  /** HS256 secret the tenant's backend uses to mint participant tokens (jose). */
  tokenSecret: SecretRef,
  allowedRegions: Type.Array(Id, { minItems: 1 }),
  defaultRegion: Id,
  /** Jurisdictions a `jurisdiction`-mode meeting may spread over. */
  allowedJurisdictions: Type.Array(Type.String({ minLength: 1, description: 'a jurisdiction: EU, EEA, a country code, or an id under jurisdictions' }), { default: [] }),
  residencyMode: Type.Union([Type.Literal('region'), Type.Literal('jurisdiction')], { default: 'region' }),
  /** Defaults to open; after loading it is always present. */
  attendeePolicy: Type.Object(AttendeePolicy.properties, { additionalProperties: false, default: {} }),
  /** Meeting security defaults for this tenant; every field has a default, so any subset may be given. */
  security: Type.Object(MeetingSecurity.properties, { additionalProperties: false, default: {} }),
}, { additionalProperties: false })

export const RelaySettings = Type.Object({
  realm: Type.String({ minLength: 1, default: 'sovereign' }),
  /** Relayed-transport port range. */
  ports: Type.Object({
    min: Type.Integer({ minimum: 1024, maximum: 65535, default: 49152 }),
    max: Type.Integer({ minimum: 1024, maximum: 65535, default: 65535 }),
  }, { additionalProperties: false, default: {} }),
  quotas: Type.Object({
    allocationsPerParticipant: Type.Integer({ minimum: 1, default: 4 }),
    allocationsPerMeeting: Type.Integer({ minimum: 1, default: 500 }),
    /**
     * At allocationsPerParticipant, an Allocate replaces an allocation of that participant's
     * that has relayed nothing for this long (a connection closed without releasing it) instead
     * of 486. 0: never.
     */
    evictIdleAfterSeconds: Type.Integer({ minimum: 0, maximum: 86400, default: 30 }),
    /** Per-allocation token bucket, bytes per second. */
    bandwidthBytesPerSecond: Type.Integer({ minimum: 1000, default: 2_500_000 }),
  }, { additionalProperties: false, default: {} }),
  /** Ranges a relay may send to despite the built-in deny list (tests allow 127.0.0.0/8). */
  allowPeers: Type.Array(Cidr, { default: [] }),
  /** Extra ranges to deny on top of the built-in list. */
  denyPeers: Type.Array(Cidr, { default: [] }),
  credentialTtlSeconds: Type.Integer({ minimum: 60, maximum: 86400, default: 3600 }),
  nonceTtlSeconds: Type.Integer({ minimum: 10, maximum: 3600, default: 600 }),
  drainGraceSeconds: Type.Integer({ minimum: 0, maximum: 86400, default: 30 }),
  /** UDP data path: the native engine, the TypeScript (dgram) path, or native when its addon loads. */
  dataPath: Type.Union([Type.Literal('auto'), Type.Literal('native'), Type.Literal('ts')], { default: 'auto' }),
  /** Native data threads; default: the number of cores. */
  dataThreads: Type.Optional(Type.Integer({ minimum: 1, maximum: 256 })),
  /**
   * Calls' worth of requests a relay runs through a throwaway server before it opens its
   * listeners, so its request path is optimized before the first reconnect storm (about
   * 0.1-0.2 ms of CPU each). 0: none.
   */
  prewarmAllocations: Type.Integer({ minimum: 0, maximum: 100000, default: 3000 }),
  /**
   * Fleet heartbeat: a relay beats every `intervalSeconds`; one silent for `ttlSeconds` (crash,
   * SIGKILL) leaves the fleet and its calls fail over. The TTL bounds a SIGKILL's media gap
   * (gap ≈ TTL + `fleetWatchSeconds` + the new connection): 0.5 s / 1.5 s keeps it under 3 s,
   * two beats may be lost, and costs one Redis write per relay every 0.5 s. A relay whose
   * event loop stalls longer than about the TTL loses its calls to another relay (make before
   * break: the old path carries on until the new one connects) and re-registers at its next beat.
   */
  heartbeat: Type.Object({
    intervalSeconds: Type.Number({ minimum: 0.05, maximum: 60, default: 0.5 }),
    ttlSeconds: Type.Number({ minimum: 0.2, maximum: 600, default: 1.5 }),
  }, { additionalProperties: false, default: {} }),
}, { additionalProperties: false, default: {} })

export const NetworkConfig = Type.Object({
  version: Type.Literal(1),
  name: Type.Optional(Type.String()),
  regions: Type.Array(Region, { minItems: 1 }),
  jurisdictions: Type.Array(Jurisdiction, { default: [] }),
  geo: Type.Object(GeoConfig.properties, { additionalProperties: false, default: {} }),
  tenants: Type.Array(Tenant, { default: [] }),
  relay: RelaySettings,
  admin: Type.Object({ apiKeys: Type.Array(ApiKey, { minItems: 1 }) }, { additionalProperties: false }),
}, { additionalProperties: false })

export type NetworkConfigInput = Static<typeof NetworkConfig>
export type RegionConfig = Static<typeof Region>
export type TenantConfig = Static<typeof Tenant>
export type GeoSettings = Static<typeof GeoConfig>
export type GeoOverrideConfig = Static<typeof GeoOverride>
export type AttendeePolicyConfig = Static<typeof AttendeePolicy>
export type MeetingSecuritySettings = Static<typeof MeetingSecurity>
export type RelaySettingsConfig = Static<typeof RelaySettings>
export type RedisSettings = Static<typeof RedisConfig>
export type RelayInstanceConfig = Static<typeof RelayInstance>
export type JurisdictionConfig = Static<typeof Jurisdiction>
export type ControlPlaneLimitsConfig = Static<typeof ControlPlaneLimits>
export type PasscodePolicyConfig = Static<typeof PasscodePolicy>
export type ResidencyModeName = Static<typeof ResidencyMode>
export type KeyModeName = Static<typeof KeyMode>
