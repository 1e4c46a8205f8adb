/**
 * `sovereign start` / `npm start`: the whole example network in ONE process on loopback —
 * every region's control plane and every declared relay, from
 * deploy/examples/local-network.yaml (or another config).
 *
 * State: the regions' Redis when it answers, under a fresh random key prefix per run (runs
 * never see each other's state; the run's keys are deleted on close; never FLUSHALL).
 * A prefix the caller names is deleted on close too, unless `keepState`; so that close
 * never deletes keys this run did not write, a named prefix that already holds keys is
 * refused at start (ERR_LOCAL_PREFIX_IN_USE) unless `keepState`.
 * When no Redis answers, the in-process memory store, which is single-process only.
 *
 * `ephemeralPorts` rewrites every listen port to 0 (tests; several networks side by side).
 * Then each region's `controlPlane.url` in the config still names the configured port, so
 * redirects and tokens' `controlPlaneUrl` point there; the returned URLs are the bound ones.
 */
import { randomBytes } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

import { loadConfig } from '../../config/load-config.js'
import { startControlPlaneNode, type ControlPlaneNode } from '../../control-plane/node.js'
import type { LogLevel } from '../../platform/logger.js'
import { startRegionRelay, type RegionRelay } from '../../relay/region/region-relay.js'
import { writeMemoryVariant, type ConfigVariant } from './config-variant.js'
import { LocalNetworkError } from './local-network-error.js'
import { deletePrefixed, hasPrefixed, redisAnswers } from './redis-probe.js'

export interface LocalNetworkOptions {
  /** Default: deploy/examples/local-network.yaml of this package. */
  readonly configPath?: string
  /** Redis key prefix; default `local<random>` (fresh per run). Deleted on close unless `keepState`. */
  readonly prefix?: string
  /** Leave the prefix's keys in Redis at close (and accept a prefix that already holds keys). */
  readonly keepState?: boolean
  /** Progress and warnings, one line each; default silent. */
  readonly log?: (line: string) => void
  /** Listen on port 0 everywhere instead of the configured ports. */
  readonly ephemeralPorts?: boolean
  /** Skip the Redis probe and use the memory store. */
  readonly memory?: boolean
  /** fastify log level of the control planes; default 'warn'. */
  readonly controlPlaneLogLevel?: LogLevel
}

export interface LocalRelay {
  readonly id: string
  readonly udp: readonly string[]
  readonly tcp: readonly string[]
  readonly metricsUrl: string | undefined
}

export interface LocalRegion {
  readonly id: string
  readonly name: string
  readonly controlPlaneUrl: string
  /** The control plane's metrics listener (`controlPlane.metricsListen`), when it has one. */
  readonly controlPlaneMetricsUrl?: string | undefined
  readonly relays: readonly LocalRelay[]
}

export interface LocalNetwork {
  readonly configPath: string
  readonly state: 'redis' | 'memory'
  readonly prefix: string
  /** True when close() leaves the prefix's keys in Redis (`keepState`). */
  readonly keepsState: boolean
  readonly regions: readonly LocalRegion[]
  close(): Promise<void>
}

/** The example config shipped with the package, from source (deploy/local/) or the build (dist/deploy/local/). */
export function defaultConfigPath(): string {
  for (const rel of ['../examples/local-network.yaml', '../../../deploy/examples/local-network.yaml']) {
    const path = fileURLToPath(new URL(rel, import.meta.url))
    if (existsSync(path)) return path
  }
  throw new LocalNetworkError('ERR_LOCAL_CONFIG_NOT_FOUND', 'deploy/examples/local-network.yaml not found next to this package; pass a config path')
}

export async function startLocalNetwork(options: LocalNetworkOptions = {}): Promise<LocalNetwork> {
  const log = options.log ?? (() => {})
  const configPath = options.configPath ?? defaultConfigPath()
  const keepsState = options.keepState === true
  const prefix = options.prefix ?? `local${randomBytes(6).toString('hex')}`
  const original = await loadConfig(configPath)

  const redisUrls = [...new Set(original.regions.flatMap((r) => ('url' in r.redis ? [r.redis.url] : [])))]
  const allRedis = original.regions.every((r) => 'url' in r.redis)
  let variant: ConfigVariant | undefined
  let state: 'redis' | 'memory' = 'redis'
  if (options.memory === true || !allRedis || !(await Promise.all(redisUrls.map((u) => redisAnswers(u)))).every(Boolean)) {
    state = 'memory'
    if (options.memory !== true) log(`warning: Redis does not answer at ${redisUrls.join(', ') || '(no redis url in the config)'}; using the in-process memory store — SINGLE-PROCESS ONLY: relays or control planes started in other processes will not see this network`)
    variant = await writeMemoryVariant(configPath)
  }
  if (state === 'redis' && options.prefix !== undefined && !keepsState) {
    const used = (await Promise.all(redisUrls.map((u) => hasPrefixed(u, prefix)))).some(Boolean)
    if (used) {
      throw new LocalNetworkError('ERR_LOCAL_PREFIX_IN_USE', `Redis already holds keys under "${prefix}:" and this run would delete them at exit; choose another --prefix, or pass --keep-state to run on them and keep them`)
    }
  }
  const path = variant?.path ?? configPath
  const config = variant === undefined ? original : await loadConfig(path)

  const signals = new EventEmitter()
  const planes: ControlPlaneNode[] = []
  const relays: { region: string; relay: RegionRelay }[] = []
  const zeroPort = (hostPort: string) => (options.ephemeralPorts === true ? hostPort.replace(/:\d+$/, ':0') : hostPort)
  const stopAll = async () => {
    await Promise.allSettled(relays.map(({ relay }) => relay.close()))
    await Promise.allSettled(planes.map((p) => p.close()))
    if (state === 'redis' && !keepsState) await Promise.allSettled(redisUrls.map((u) => deletePrefixed(u, prefix)))
    await variant?.remove()
  }

  try {
    for (const region of config.regions) {
      const listen = region.controlPlane.listen
      planes.push(await startControlPlaneNode({
        configPath: path,
        region: region.id,
        nodeId: `${region.id}-local`,
        signals,
        prefix,
        logger: { level: options.controlPlaneLogLevel ?? 'warn' },
        ...(listen !== undefined ? { listen: zeroPort(listen) } : {}),
        ...(region.controlPlane.metricsListen !== undefined ? { metricsListen: zeroPort(region.controlPlane.metricsListen) } : {}),
      }))
      for (const instance of region.relays) {
        const relay = await startRegionRelay({
          config,
          region: region.id,
          id: instance.id,
          statePrefix: prefix,
          log: (line) => log(`${instance.id}: ${line}`),
          ...(options.ephemeralPorts === true ? { listen: instance.listen.map(zeroPort), metrics: instance.metrics === undefined ? null : zeroPort(instance.metrics) } : {}),
        })
        relays.push({ region: region.id, relay })
      }
    }
    // Registered in the fleet before anyone is told the network is up.
    await Promise.all(relays.map(({ relay }) => relay.heartbeat.beatNow()))
  } catch (err) {
    await stopAll()
    throw asPortInUse(err) ?? err
  }

  const regions: LocalRegion[] = config.regions.map((region, i) => ({
    id: region.id,
    name: region.name ?? region.id,
    controlPlaneUrl: planes[i]!.url,
    controlPlaneMetricsUrl: planes[i]!.metricsUrl,
    relays: relays.filter((r) => r.region === region.id).map(({ relay }, j) => ({
      id: region.relays[j]!.id,
      udp: relay.node.addresses.filter((a) => a.transport === 'udp').map(formatAddress),
      tcp: relay.node.addresses.filter((a) => a.transport === 'tcp').map(formatAddress),
      metricsUrl: relay.node.metricsUrl,
    })),
  }))

  let closing: Promise<void> | undefined
  return { configPath: path, state, prefix, keepsState, regions, close: () => (closing ??= stopAll()) }
}

function formatAddress(a: { host: string; port: number; family: 4 | 6 }): string {
  return a.family === 6 ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`
}

function asPortInUse(err: unknown): LocalNetworkError | undefined {
  const e = err as { code?: unknown; address?: unknown; port?: unknown } | null
  if (e === null || typeof e !== 'object' || e.code !== 'EADDRINUSE') return undefined
  const where = typeof e.address === 'string' ? `${e.address}:${String(e.port)}` : 'a configured port'
  return new LocalNetworkError('ERR_LOCAL_PORT_IN_USE', `${where} is already in use — is another local network (or the old standalone relay) running? Stop it, or free the port`, { cause: err })
}
