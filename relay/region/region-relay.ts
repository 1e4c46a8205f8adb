/**
 * A relay that belongs to a region (`sovereign relay --config f --region r --id x`):
 * the relay node of relay-node.ts with the residency policy plugged into its hook,
 * registered in the region's fleet with a heartbeat of its load, obeying revocations of
 * every region whose meetings it serves, and writing its decisions to the meetings'
 * audit streams. Nothing durable lives here: kill it and only its live allocations go.
 *
 * Draining: SIGTERM drains the relay for its grace period and stops it (`shutdown`). An
 * operator drains it through the region's registry instead (`sovereign relay drain`,
 * the admin API): every heartbeat answers with the operator's drain request, and while
 * one is in force the relay refuses new allocations (508, like a full relay: clients
 * move on to the next relay of their ICE servers) and keeps relaying the existing ones.
 * The request outlives restarts, so a restarted relay drains again on its first beat;
 * once cancelled, the next beat resumes allocations (unless the relay is shutting down).
 */
import { createHmac } from 'node:crypto'
import { lookup as dnsLookup } from 'node:dns/promises'

import { Counter, Gauge, Histogram } from 'prom-client'

import type { NetworkConfig } from '../../config/network-config.js'
import { isIpAddress } from '../../geo/address/ip-address.js'
import { openGeoLookup } from '../../geo/lookup.js'
import { scrapeCounter } from '../../platform/scrape-counter.js'
import type { DrainRequest } from '../../state/fleet.js'
import { startHeartbeat, type HeartbeatLoop } from '../../state/heartbeat.js'
import { PolicyCache } from '../../state/policy-cache.js'
import { StateRegistry } from '../../state/state-registry.js'
import { RelayError } from '../errors.js'
import { checkPeer, compilePeerPolicy } from '../peer-safety/index.js'
import { readTlsFiles, renewTlsCertificate } from '../node/tls-files.js'
import { startRelayNode, type RelayNode } from '../relay-node.js'
import { AuditSink } from './audit-sink.js'
import { FleetView } from './fleet-view.js'
import { ResidencyPolicy } from './residency-policy.js'
import { enforceRevocations } from './revocation-enforcer.js'

export interface RegionRelayOptions {
  readonly config: NetworkConfig
  readonly region: string
  readonly id: string
  /** Instead of the instance's configured addresses (tests pass port 0). */
  readonly listen?: readonly string[]
  /** Addresses relayed sockets bind on, instead of the instance's `relayAddress`. */
  readonly relayAddresses?: readonly string[]
  /** Public IPs behind 1:1 NAT (one per family), instead of the instance's `publicAddress`. */
  readonly publicAddresses?: readonly string[]
  /** TURN over TLS, instead of the instance's `tls` (certificate files are read at start and on reload). */
  readonly tls?: { readonly listen: readonly string[]; readonly cert: string; readonly key: string; readonly name?: string }
  readonly metrics?: string | null
  /** SO_REUSEPORT on the listeners: several relay processes on one port. */
  readonly reusePort?: boolean
  /** Key prefix of the state layer (tests). */
  readonly statePrefix?: string
  readonly version?: string
  readonly heartbeatMs?: number
  readonly heartbeatTtlMs?: number
  readonly policyTtlMs?: number
  readonly log?: (message: string) => void
  /** UDP data path and native data threads, instead of the config's relay.dataPath/dataThreads. */
  readonly dataPath?: 'native' | 'ts' | 'auto'
  readonly dataThreads?: number
}

export interface RegionRelay {
  readonly node: RelayNode
  readonly registry: StateRegistry
  readonly cache: PolicyCache
  readonly audit: AuditSink
  readonly heartbeat: HeartbeatLoop
  /**
   * Applies a reloaded config without dropping allocations: the region's relay secrets
   * (rotation by overlap). Other changes (listen addresses, Redis) need a draining restart;
   * they are reported, not applied. With TURN over TLS the certificate files are re-read
   * too; `tls` settles once that is done (true: new connections get the new certificate;
   * false: refused, logged, the running one stays).
   */
  reload(config: NetworkConfig): { secrets: number; needsRestart: string[]; tls?: Promise<boolean> }
  /** The operator drain request learned from the last successful beat, or null. */
  readonly drainRequest: DrainRequest | null
  /** Marks the relay draining in the registry too (no new allocations anywhere). */
  drain(): Promise<void>
  shutdown(graceMs: number): Promise<void>
  close(): Promise<void>
}

/**
 * A relay's `publicAddress`: an IP as it is, a host name resolved once at start (one
 * address per family; a name that resolves to nothing refuses the start).
 */
export async function resolvePublicAddress(address: string, lookup: (name: string) => Promise<readonly { address: string; family: number }[]> = (name) => dnsLookup(name, { all: true })): Promise<string[]> {
  if (isIpAddress(address)) return [address]
  let found: readonly { address: string; family: number }[]
  try {
    found = await lookup(address)
  } catch (err) {
    throw new RelayError('ERR_RELAY_SETUP', `publicAddress "${address}" does not resolve: ${(err as Error).message}`)
  }
  const out: string[] = []
  for (const family of [4, 6]) {
    const first = found.find((f) => f.family === family)
    if (first) out.push(first.address)
  }
  if (out.length === 0) throw new RelayError('ERR_RELAY_SETUP', `publicAddress "${address}" resolves to no address`)
  return out
}

/** Every relay of a region derives the same nonce keys from the region's secrets, so any of them checks any nonce. */
export function regionNonceKeys(secrets: readonly { value: string }[]): Buffer[] {
  return secrets.map((s) => createHmac('sha256', s.value).update('sovereign-relay nonce key v1').digest())
}

export async function startRegionRelay(o: RegionRelayOptions): Promise<RegionRelay> {
  const { config } = o
  const log = o.log ?? (() => {})
  const region = config.regionById(o.region)
  if (!region) throw new RelayError('ERR_RELAY_SETUP', `no region "${o.region}" in ${config.source}`)
  const instance = region.relays.find((r) => r.id === o.id)
  const listen = o.listen ?? instance?.listen
  if (!listen || listen.length === 0) {
    throw new RelayError('ERR_RELAY_SETUP', `relay "${o.id}" is not declared in region ${o.region} of ${config.source}; declare it or give --listen`)
  }
  const settings = config.relay

  const registry = new StateRegistry({ regions: config.regions, ...(o.statePrefix !== undefined ? { prefix: o.statePrefix } : {}), warn: log })
  const own = registry.region(o.region)
  // Connect to every region's state up front: a jurisdiction-mode meeting homed elsewhere
  // is read from its home region, and a connection opened on first use would fail that
  // first read (commands fail fast rather than queue, so callers can fail closed).
  await Promise.all(config.regions.map((r) =>
    registry.region(r.id).ready(2000).catch((err: unknown) =>
      log(`warning: state of region ${r.id} not reachable yet (${String(err)}); what needs it is refused until it is`)),
  ))
  const geo = await openGeoLookup({
    ...(config.geo?.database !== undefined ? { database: config.geo.database } : {}),
    overrides: config.geo?.overrides ?? [],
    watch: config.geo?.watch ?? false,
  })
  const cache = new PolicyCache({ resolve: (id) => registry.forMeeting(id), ...(o.policyTtlMs !== undefined ? { ttlMs: o.policyTtlMs } : {}) })
  // Revocations of the relay's own region arrive even before it serves a meeting.
  await cache.watch(own).catch((err: unknown) => log(`warning: cannot subscribe to revocations yet (${String(err)}); will retry`))
  const audit = new AuditSink({ resolve: (id) => registry.forMeeting(id) })
  const peerPolicy = compilePeerPolicy({ allow: settings.allowPeers, deny: settings.denyPeers })
  const fleet = new FleetView({ region: (id) => registry.region(id) })
  const policy = new ResidencyPolicy({
    relayId: o.id,
    region: o.region,
    cache,
    fleet,
    geo,
    audit,
    isDeniedRange: (ip) => !checkPeer(ip, peerPolicy).allow,
  })

  const tlsFiles = o.tls ?? instance?.tls
  // turns: URLs carry the name on the certificate (a client checks it), else the address.
  const tlsName = tlsFiles?.name ?? (instance?.publicAddress !== undefined && !isIpAddress(instance.publicAddress) ? instance.publicAddress : undefined)
  let node: RelayNode
  try {
    const publicAddresses = o.publicAddresses ?? (instance?.publicAddress !== undefined ? await resolvePublicAddress(instance.publicAddress) : [])
    if (publicAddresses.length > 0) log(`behind 1:1 NAT: advertising ${publicAddresses.join(', ')} to clients and peers`)
    const metrics = o.metrics === null ? undefined : (o.metrics ?? instance?.metrics)
    node = await startRelayNode({
      id: o.id,
      listen,
      realm: settings.realm,
      secrets: region.relaySecrets,
      nonceKeys: regionNonceKeys(region.relaySecrets),
      nonceLifetimeSeconds: settings.nonceTtlSeconds,
      requireMeeting: true,
      maxCredentialTtlSeconds: settings.credentialTtlSeconds,
      // Compiled once above: the server's peer safety and the residency hook ask the same policy (guarantee 2).
      peerPolicy,
      ...(o.relayAddresses !== undefined && o.relayAddresses.length > 0
        ? { relayAddresses: o.relayAddresses }
        : instance?.relayAddress !== undefined ? { relayAddresses: [instance.relayAddress] } : {}),
      publicAddresses,
      ...(o.reusePort ? { reusePort: true } : {}),
      ...(tlsFiles ? { tls: { listen: tlsFiles.listen, ...(await readTlsFiles(tlsFiles)) } } : {}),
      ports: settings.ports,
      quotas: {
        allocationsPerParticipant: settings.quotas.allocationsPerParticipant,
        allocationsPerMeeting: settings.quotas.allocationsPerMeeting,
        evictIdleAfterSeconds: settings.quotas.evictIdleAfterSeconds,
        bandwidthBytesPerSecond: settings.quotas.bandwidthBytesPerSecond,
        ...(instance?.capacity !== undefined ? { capacity: instance.capacity } : {}),
      },
      ...(metrics !== undefined ? { metrics } : {}),
      // While the region's Redis is unreachable a new allocation cannot be verified (it is
      // refused): /readyz says so, so load balancers and probes stop sending clients here.
      ready: () => own.health.snapshot.state === 'connected',
      policy,
      // Bugs, not bad input (the socket layer keeps running): through the process's logger.
      onError: (err, where) => log(`error: unexpected error in ${where}: ${err instanceof Error ? err.stack ?? err.message : String(err)}`),
      dataPath: o.dataPath ?? settings.dataPath,
      prewarm: settings.prewarmAllocations,
      ...(o.dataThreads ?? settings.dataThreads) !== undefined ? { dataThreads: (o.dataThreads ?? settings.dataThreads)! } : {},
    })
  } catch (err) {
    await Promise.allSettled([audit.close(), cache.close(), registry.close()])
    throw err
  }

  // The TURN hairpin guard knows every relay of the network: their listeners and metrics
  // are never peers, and of their addresses only the relayed ports are.
  const allRegions = config.regions.map((r) => r.id)
  node.relayServices.setFleetSource(() => fleet.endpoints(allRegions))

  const registries = [node.metrics.registry]
  const latency = new Histogram({
    name: 'sovereign_relay_revocation_latency_seconds',
    help: 'From a revocation being published to this relay having dropped the allocations it names',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: registries,
  })
  new Gauge({ name: 'sovereign_relay_state_up', help: '1 while the region state (Redis) is connected', registers: registries, collect() { this.set(own.health.snapshot.state === 'connected' ? 1 : 0) } })
  new Gauge({ name: 'sovereign_relay_audit_queued', help: 'Residency decisions waiting to be written to audit streams', registers: registries, collect() { this.set(audit.queued) } })
  new Gauge({ name: 'sovereign_relay_drain_requested', help: '1 while an operator drain request is in force (learned from the last heartbeat)', registers: registries, collect() { this.set(drainRequest ? 1 : 0) } })
  scrapeCounter({ name: 'sovereign_relay_audit_dropped_total', help: 'Residency decisions dropped because the audit queue overflowed', registers: registries, read: () => audit.dropped })
  const stopEnforcing = enforceRevocations({
    cache, server: node.server, revoke: (t) => node.revoke(t), latency,
    onError: (err, f) => log(`revocation re-check failed (attempt ${f.attempt}, ${f.meetings} meeting(s) waiting${f.unreported > 0 ? `, ${f.unreported} failure(s) not logged` : ''}), retrying in ${f.retryInMs} ms: ${String(err)}`),
    onRecovered: (attempts) => log(`revocation re-check succeeded after ${attempts} failed attempt(s)`),
  })
  // A region's Redis came back without its data (state/state-epoch.ts): its meetings no
  // longer exist, so the re-check drops their allocations. Logged and counted once per loss.
  const stateLost = new Counter({ name: 'sovereign_relay_state_lost_total', help: 'Times a region\'s state (Redis) came back without its data, as this relay detected it', labelNames: ['state_region'], registers: registries })
  // Every region's series exists from the start, so increase() sees the first loss.
  for (const r of config.regions) stateLost.inc({ state_region: r.id }, 0)
  const stopWatchingLoss = config.regions.map((r) => registry.region(r.id).onStateLost((loss) => {
    stateLost.inc({ state_region: loss.region })
    log(`error: the state of region ${loss.region} was lost (Redis came back without its data; epoch ${loss.previous} -> ${loss.current}); dropping the allocations of meetings that no longer exist. Production Redis needs persistence (AOF) or replicas: deploy/README.md`)
    cache.stateLost(loss.region)
  }))

  // Load for the heartbeat: packets and bytes per second over the last beat.
  let packets = 0
  let bytes = 0
  const unsubscribe = node.server.events.on('bytes-relayed', (c) => {
    packets += c.toPeerPackets + c.toClientPackets
    bytes += c.toPeerBytes + c.toClientBytes
  })
  let lastBeat = Date.now()
  let lastCpu = process.cpuUsage()
  const startedAt = Date.now()
  const capacity = node.server.quotas.capacity
  // Who drained the node: the operator's request (undone when cancelled) or the relay
  // itself (drain()/shutdown(): never undone).
  let drainRequest: DrainRequest | null = null
  let drainedByItself = false
  const followDrainRequest = (request: DrainRequest | null): void => {
    if (request && !drainRequest) {
      log(`drain requested by ${request.by}${request.reason ? ` (${request.reason})` : ''}: no new allocations, ${node.server.table.size} existing keep relaying`)
      node.drain()
    } else if (!request && drainRequest) {
      if (drainedByItself) log('drain request cancelled; staying drained (shutting down)')
      else {
        log('drain request cancelled: taking new allocations again')
        node.undrain()
      }
    }
    drainRequest = request
  }
  // The fleet lists where clients and other relays reach this one: the control plane hands
  // these out, and relays match peers against them (guarantee 2).
  const udp = node.reachableAt.filter((a) => a.transport === 'udp').map(hostPort)
  const tcp = node.reachableAt.filter((a) => a.transport === 'tcp').map(hostPort)
  const tls = node.reachableAt.filter((a) => a.transport === 'tls').map((a) => hostPort(tlsName === undefined ? a : { ...a, host: tlsName }))
  // What other relays' hairpin guards need: the relayed port range and the metrics listener.
  const relayServiceFields = { relayPorts: { min: settings.ports.min, max: settings.ports.max }, ...(node.metricsUrl !== undefined ? { metrics: new URL(node.metricsUrl).host } : {}) }
  const heartbeat = startHeartbeat({
    fleet: own.fleet,
    intervalMs: o.heartbeatMs ?? settings.heartbeat.intervalSeconds * 1000,
    ttlMs: o.heartbeatTtlMs ?? settings.heartbeat.ttlSeconds * 1000,
    onError: () => { /* reported through sovereign_relay_state_up; the loop retries */ },
    // A failed beat learns nothing: the last-known drain state stays until Redis answers.
    onBeat: (_beat, reply) => followDrainRequest(reply.drainRequest),
    beat: () => {
      node.server.flush()
      const now = Date.now()
      const seconds = Math.max(0.001, (now - lastBeat) / 1000)
      const cpu = process.cpuUsage(lastCpu)
      const load = {
        allocations: node.server.table.size,
        packetsPerSecond: Math.round(packets / seconds),
        bytesPerSecond: Math.round(bytes / seconds),
        cpu: Math.min(1, (cpu.user + cpu.system) / 1e6 / seconds),
      }
      packets = 0
      bytes = 0
      lastBeat = now
      lastCpu = process.cpuUsage()
      return { id: o.id, region: o.region, udp, tcp, ...(tls.length > 0 ? { tls } : {}), ...relayServiceFields, capacity, version: o.version ?? 'dev', startedAt, load, draining: node.server.draining, sentAt: now }
    },
  })

  // The first beat is already in flight: wait for it, so a relay restarted under a drain
  // request is draining before anyone is told it has started.
  await heartbeat.beatNow()

  let closing: Promise<void> | undefined
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      await heartbeat.stop({ deregister: true }).catch(() => {})
      stopEnforcing()
      for (const stop of stopWatchingLoss) stop()
      unsubscribe()
      await node.close()
      await audit.close()
      await cache.close()
      geo.close({ closeDatabase: true })
      await registry.close()
    })())

  let current = config
  return {
    node,
    registry,
    cache,
    audit,
    heartbeat,
    get drainRequest() {
      return drainRequest
    },
    reload(next) {
      const nextRegion = next.regionById(o.region)
      if (!nextRegion) throw new RelayError('ERR_RELAY_SETUP', `the reloaded config has no region "${o.region}"`)
      const needsRestart: string[] = []
      const before = current.regionById(o.region)!
      if (JSON.stringify(before.redis) !== JSON.stringify(nextRegion.redis)) needsRestart.push(`regions.${o.region}.redis`)
      const was = before.relays.find((r) => r.id === o.id)
      const now = nextRegion.relays.find((r) => r.id === o.id)
      if (JSON.stringify(was) !== JSON.stringify(now)) needsRestart.push(`regions.${o.region}.relays.${o.id}`)
      if (JSON.stringify(current.relay) !== JSON.stringify(next.relay)) needsRestart.push('relay')
      node.setSecrets(nextRegion.relaySecrets)
      // A reload re-reads the certificate files too: a renewal needs no restart.
      const files = o.tls ?? now?.tls
      const tls = tlsFiles && files ? renewTlsCertificate(files, (cert, key) => node.setTlsCertificate(cert, key), log) : undefined
      current = next
      return { secrets: nextRegion.relaySecrets.length, needsRestart, ...(tls ? { tls } : {}) }
    },
    async drain() {
      drainedByItself = true
      node.drain()
      await heartbeat.beatNow()
    },
    async shutdown(graceMs) {
      drainedByItself = true
      node.drain()
      await heartbeat.beatNow()
      await node.shutdown(graceMs)
      await close()
    },
    close,
  }
}

function hostPort(a: { host: string; port: number; family: 4 | 6 }): string {
  return a.family === 6 ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`
}
