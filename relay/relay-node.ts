/**
 * One runnable relay node: the sans-IO TurnServer, relay/auth credentials and nonces,
 * peer safety, the socket layer, and metrics over HTTP, composed. The CLI, the local
 * network and tests start relays through this and nothing else.
 */
import { randomBytes } from 'node:crypto'

import { parseIp } from '../geo/address/ip-address.js'
import type { TurnSecret } from './auth/index.js'
import { RelayError } from './errors.js'
import { startMetricsHttp, type MetricsHttp } from './metrics/http.js'
import { relayMetrics, type RelayMetrics } from './metrics/relay-metrics.js'
import { parseHostPort, type HostPort } from './node/host-port.js'
import { SocketLayer, type ListenAddress } from './node/socket-layer.js'
import { compilePeerPolicy, peerSafety, RelayServices, type PeerPolicy } from './peer-safety/index.js'
import { ownRelayEndpoints } from './node/own-endpoints.js'
import { openPolicy, type RelayPolicy } from './policy.js'
import { TurnServer, restAuth, type Lifetimes, type Quotas } from './server/index.js'
import { prewarmTurnServer, type PrewarmResult } from './prewarm.js'

export interface RelayNodeOptions {
  /** `host:port` or `[v6]:port`; UDP and TCP on each. Port 0 picks a free one. */
  listen: readonly string[]
  realm?: string
  /** TURN REST secrets, newest first; a plain string gets the id `s<index>`. */
  secrets: readonly (string | TurnSecret)[]
  /** HMAC keys of the stateless nonces; relays of one region share them. Default: random per process. */
  nonceKeys?: readonly (string | Buffer)[]
  nonceLifetimeSeconds?: number
  /** Require meeting-scoped usernames (a region member); standalone relays accept any REST user. */
  requireMeeting?: boolean
  maxCredentialTtlSeconds?: number
  /** CIDRs allowed despite the built-in peer deny list, and extra denied CIDRs. */
  allowPeers?: readonly string[]
  denyPeers?: readonly string[]
  /** The peer policy already compiled (a region relay shares it with its residency policy); wins over allowPeers/denyPeers. */
  peerPolicy?: PeerPolicy
  /** Addresses relayed sockets bind on (one per family). Default: the listen hosts. */
  relayAddresses?: readonly string[]
  /**
   * Behind 1:1 NAT (a cloud VM's public IP): the public IP literal per family that clients
   * and peers reach this relay on. XOR-RELAYED-ADDRESS carries it, and `reachableAt` lists
   * the listeners under it. Ports are not translated (1:1 NAT keeps them).
   */
  publicAddresses?: readonly string[]
  /** TURN over TLS (`turns:`): listen addresses of their own, and the certificate chain and key (PEM). */
  tls?: { listen: readonly string[]; cert: string | Buffer; key: string | Buffer }
  ports?: { min: number; max: number }
  quotas?: Partial<Quotas>
  lifetimes?: Partial<Lifetimes>
  /** `host:port` of /metrics, /healthz, /readyz; omitted: no HTTP. */
  metrics?: string
  /** A further readiness condition for /readyz (a region relay: its Redis answers, so new allocations can be verified). */
  ready?: () => boolean
  policy?: RelayPolicy
  software?: string
  tcp?: boolean
  /** SO_REUSEPORT on the listeners: several relay processes on one port (socket-layer.ts). */
  reusePort?: boolean
  now?: () => number
  onError?: (err: unknown, where: string) => void
  /** The relay's id in its region (named in hairpin refusals). Default: `self`. */
  id?: string
  /**
   * UDP data path: 'native' (the C++ engine of relay/native), 'ts' (Node dgram) or 'auto'
   * (native when the addon loads). Default: SOVEREIGN_DATA_PATH if set, else 'auto'.
   */
  dataPath?: 'native' | 'ts' | 'auto'
  /** Native data threads; default: the number of cores. */
  dataThreads?: number
  /**
   * Calls' worth of requests run through a throwaway server before the listeners open, so
   * the request path is optimized before the first reconnect storm (relay/prewarm.ts).
   * Default 0 here (tests start many relays); `sovereign relay` and region relays use 3,000.
   */
  prewarm?: number
}

export interface RelayNode {
  /** What the sockets are bound to. */
  readonly addresses: readonly ListenAddress[]
  /** Where clients reach the listeners: `addresses` with the public address of their family, if one is given. */
  readonly reachableAt: readonly ListenAddress[]
  readonly metricsUrl: string | undefined
  readonly server: TurnServer
  readonly sockets: SocketLayer
  readonly metrics: RelayMetrics
  /** The TURN hairpin guard: knows this relay's endpoints; a region relay adds the fleet's. */
  readonly relayServices: RelayServices
  /** Refuse new allocations (508), keep relaying existing ones; /readyz turns 503. */
  drain(): void
  /** Take new allocations again (an operator cancelled a drain; not during shutdown). */
  undrain(): void
  /** A renewed TLS certificate (PEM): new TURN-over-TLS connections get it, open ones keep theirs. */
  setTlsCertificate(cert: string | Buffer, key: string | Buffer): void
  /** Replaces the TURN REST secrets (rotation by overlap: list the new one first, keep the old). */
  setSecrets(secrets: readonly (string | TurnSecret)[]): void
  /** Drops the allocations of a meeting (or of one participant) now; returns how many. */
  revoke(target: { meetingId: string; participantId?: string }): number
  /** Drain, wait `graceMs` (or until no allocation is left), then close. */
  shutdown(graceMs: number): Promise<void>
  /** Closes everything now. Idempotent. */
  close(): Promise<void>
  /** What the start-up prewarm did (undefined when none was asked for). */
  readonly prewarm: PrewarmResult | undefined
}

export const DEFAULT_SOFTWARE = 'sovereign-relay'

export async function startRelayNode(o: RelayNodeOptions): Promise<RelayNode> {
  const now = o.now ?? Date.now
  const realm = o.realm ?? 'sovereign'
  const listen: HostPort[] = o.listen.map((l) => parseHostPort(l))
  if (listen.length === 0) throw new RelayError('ERR_RELAY_SETUP', 'a relay needs at least one --listen address')
  const relayAddresses = pickRelayAddresses(listen, o.relayAddresses ?? [])
  const advertisedAddresses = pickPublicAddresses(o.publicAddresses ?? [])
  const secrets: TurnSecret[] = o.secrets.map((s, i) => (typeof s === 'string' ? { id: `s${i}`, value: s } : s))
  if (secrets.length === 0) throw new RelayError('ERR_RELAY_SETUP', 'a relay needs at least one secret')
  const auth = restAuth({
    realm,
    secrets,
    nonceKeys: o.nonceKeys ?? [randomBytes(32)],
    ...(o.nonceLifetimeSeconds !== undefined ? { nonceLifetimeSeconds: o.nonceLifetimeSeconds } : {}),
    requireMeeting: o.requireMeeting ?? false,
    ...(o.maxCredentialTtlSeconds !== undefined ? { maxCredentialTtlSeconds: o.maxCredentialTtlSeconds } : {}),
    now,
  })
  const relayServices = new RelayServices()
  const server = new TurnServer({
    realm,
    software: o.software ?? DEFAULT_SOFTWARE,
    auth,
    peerSafety: peerSafety(o.peerPolicy ?? compilePeerPolicy({ allow: o.allowPeers ?? [], deny: o.denyPeers ?? [] })),
    relayServices,
    policy: o.policy ?? openPolicy,
    relayAddresses,
    advertisedAddresses,
    ...(o.ports ? { ports: o.ports } : {}),
    ...(o.quotas ? { quotas: o.quotas } : {}),
    ...(o.lifetimes ? { lifetimes: o.lifetimes } : {}),
    now,
  })
  // Before the listeners open: a relay takes no traffic until its request path is optimized.
  const prewarm = o.prewarm ? prewarmTurnServer(o.prewarm) : undefined
  const sockets = await SocketLayer.start({
    server,
    listen,
    ...(o.tcp !== undefined ? { tcp: o.tcp } : {}),
    ...(o.tls ? { tls: { listen: o.tls.listen.map((l) => parseHostPort(l)), cert: o.tls.cert, key: o.tls.key } } : {}),
    ...(o.onError ? { onError: o.onError } : {}),
    ...(o.reusePort ? { reusePort: true } : {}),
    dataPath: o.dataPath !== undefined && o.dataPath !== 'auto' ? o.dataPath : dataPathFromEnv(),
    ...(o.dataThreads !== undefined ? { dataThreads: o.dataThreads } : {}),
  })
  const metrics = relayMetrics({ server, sockets: () => sockets.stats, dataPath: sockets.dataPath, dataThreads: () => sockets.dataThreadStats() })
  let http: MetricsHttp | undefined
  try {
    if (o.metrics) {
      const hp = parseHostPort(o.metrics)
      http = await startMetricsHttp({ host: hp.host, port: hp.port, registry: metrics.registry, beforeScrape: () => server.flush(), ready: () => !server.draining && !sockets.closed && (o.ready?.() ?? true) })
    }
  } catch (err) {
    await sockets.close()
    throw err
  }
  // Known once bound: never relay to our own listeners or metrics (the TURN hairpin).
  const pool = server.portPool(4) ?? server.portPool(6)
  relayServices.setOwn(ownRelayEndpoints({
    id: o.id ?? 'self',
    services: [...sockets.addresses, ...(http ? [metricsListener(http.url)] : [])],
    addresses: [relayAddresses[4], relayAddresses[6], advertisedAddresses[4], advertisedAddresses[6]],
    relayPorts: pool ? { min: pool.min, max: pool.max } : undefined,
  }))
  let closing: Promise<void> | undefined
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      await sockets.close()
      await http?.close()
      metrics.detach()
    })())
  return {
    addresses: sockets.addresses,
    reachableAt: sockets.addresses.map((a) => ({ ...a, host: advertisedAddresses[a.family] ?? a.host })),
    metricsUrl: http?.url,
    prewarm,
    server,
    sockets,
    metrics,
    relayServices,
    drain: () => server.drain(),
    undrain: () => server.undrain(),
    setTlsCertificate: (cert, key) => sockets.setTlsCertificate(cert, key),
    setSecrets(next) {
      if (next.length === 0) throw new RelayError('ERR_RELAY_SETUP', 'a relay needs at least one secret')
      auth.verifier.setSecrets(next.map((x, i) => (typeof x === 'string' ? { id: `s${i}`, value: x } : x)))
    },
    revoke(target) {
      const actions = server.revoke(target)
      sockets.execute(actions)
      return actions.filter((a) => a.type === 'close-relay').length
    },
    async shutdown(graceMs) {
      server.drain()
      const deadline = Date.now() + graceMs
      await new Promise<void>((resolve) => {
        const check = (): void => {
          if (server.table.size === 0 || Date.now() >= deadline || sockets.closed) return resolve()
          setTimeout(check, Math.min(250, Math.max(0, deadline - Date.now()))).unref()
        }
        check()
      })
      await close()
    },
    close,
  }
}

/** The metrics listener's bound host and port, from its URL (`http://[::1]:9090`). */
function metricsListener(url: string): HostPort {
  const u = new URL(url)
  const host = u.hostname.replace(/^\[|\]$/g, '')
  return { host, port: Number(u.port) || 80, family: host.includes(':') ? 6 : 4 }
}

/** SOVEREIGN_DATA_PATH=native|ts|auto picks the data path of relays that do not say (the relay tests run both). */
function dataPathFromEnv(): 'native' | 'ts' | 'auto' {
  const v = process.env.SOVEREIGN_DATA_PATH
  if (v === undefined || v === '') return 'auto'
  if (v === 'native' || v === 'ts' || v === 'auto') return v
  throw new RelayError('ERR_DATA_PATH', `SOVEREIGN_DATA_PATH must be native, ts or auto, got "${v}"`)
}

/** At most one public address per family, IP literals only (a host name is resolved by the caller). */
function pickPublicAddresses(given: readonly string[]): { 4?: string; 6?: string } {
  const out: { 4?: string; 6?: string } = {}
  for (const a of given) {
    const host = a.replace(/^\[|\]$/g, '')
    const family = parseIp(host, new Uint8Array(16))
    if (family !== 4 && family !== 6) throw new RelayError('ERR_RELAY_SETUP', `public address "${a}" is not an IP address`)
    if (out[family] !== undefined && out[family] !== host) throw new RelayError('ERR_RELAY_SETUP', `two public IPv${family} addresses given (${out[family]}, ${host}): one per family`)
    out[family] = host
  }
  return out
}

/** One relay address per family: given explicitly, else the first specific listen host. */
function pickRelayAddresses(listen: readonly HostPort[], explicit: readonly string[]): { 4?: string; 6?: string } {
  const out: { 4?: string; 6?: string } = {}
  for (const a of explicit) {
    const { family } = parseHostPort(a, 0)
    out[family] ??= a.replace(/^\[|\]$/g, '')
  }
  for (const l of listen) {
    if (out[l.family] !== undefined) continue
    if (l.host === '0.0.0.0' || l.host === '::') continue
    out[l.family] = l.host
  }
  if (out[4] === undefined && out[6] === undefined) {
    throw new RelayError('ERR_RELAY_SETUP', 'listening on a wildcard address: give --relay-address (the address clients reach relayed sockets on)')
  }
  return out
}
