import type { Command } from 'commander'

import { ConfigStore } from '../../config/config-store.js'
import { startRegionRelay } from '../../relay/region/region-relay.js'
import { startRelayNode, type RelayNode, type RelayNodeOptions } from '../../relay/relay-node.js'
import type { PrewarmResult } from '../../relay/prewarm.js'
import { formatHostPort } from '../../relay/node/host-port.js'
import { readTlsFiles, renewTlsCertificate, type TlsFiles } from '../../relay/node/tls-files.js'
import { CliError } from '../cli-error.js'
import { buildInfo } from '../../platform/build-info.js'
import { createLogger, logLevelOption, type Logger, type LogLevel } from '../../platform/logger.js'
import { registerRelayDrain, type DrainIo } from './relay-drain.js'

const collect = (value: string, previous: string[]): string[] => [...previous, value]

function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value)
    if (!Number.isInteger(n) || n < 0) throw new CliError('ERR_CLI_OPTION', `--${name} must be a non-negative integer, got ${value}`)
    return n
  }
}

function portRange(value: string): { min: number; max: number } {
  const m = /^(\d+)-(\d+)$/.exec(value)
  const min = Number(m?.[1])
  const max = Number(m?.[2])
  if (!m || min < 1024 || max > 65535 || min > max) throw new CliError('ERR_CLI_OPTION', `--ports must be MIN-MAX within 1024-65535, got ${value}`)
  return { min, max }
}

interface RelayFlags {
  listen: string[]
  secret: string[]
  realm: string
  allowPeers: string[]
  denyPeers: string[]
  metrics?: string
  relayAddress: string[]
  publicAddress: string[]
  tlsListen: string[]
  tlsCert?: string
  tlsKey?: string
  ports?: { min: number; max: number }
  quotaParticipant?: number
  quotaMeeting?: number
  quotaEvictIdle?: number
  capacity?: number
  bandwidth?: number
  requireMeeting?: boolean
  grace?: number
  interruptGrace: number
  software?: string
  config?: string
  region?: string
  id?: string
  statePrefix?: string
  logLevel: LogLevel
  reusePort?: boolean
  dataPath?: 'native' | 'ts' | 'auto'
  dataThreads?: number
  prewarm: number
}

function dataPathFlag(value: string): 'native' | 'ts' | 'auto' {
  if (value !== 'native' && value !== 'ts' && value !== 'auto') throw new CliError('ERR_CLI_OPTION', `--data-path must be native, ts or auto, got ${value}`)
  return value
}

function dataThreadsFlag(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new CliError('ERR_CLI_OPTION', `--data-threads must be an integer 1..256, got ${value}`)
  return n
}

/**
 * `sovereign relay`: the TURN relay node, standalone from flags or a member of a region with
 * --config/--region/--id; `sovereign relay drain|undrain <relayId>` (relay-drain.ts) drain one
 * through its region's control plane.
 */
export function registerRelay(program: Command, drainIo?: DrainIo): void {
  const relay = program
    .command('relay')
    .description('run a TURN relay node (standalone from flags: a drop-in TURN server with TURN REST credentials)')
    .option('--listen <host:port>', 'UDP and TCP listen address, IPv6 as [::1]:3478 (repeatable)', collect, [])
    .option('--secret <secret>', 'TURN REST shared secret, newest first (repeatable; or SOVEREIGN_RELAY_SECRETS=a,b)', collect, [])
    .option('--realm <realm>', 'STUN realm', 'sovereign')
    .option('--allow-peers <cidr>', 'peer range to allow despite the built-in deny list (repeatable)', collect, [])
    .option('--deny-peers <cidr>', 'extra peer range to deny (repeatable)', collect, [])
    .option('--metrics <host:port>', 'serve /metrics, /healthz and /readyz here')
    .option('--relay-address <ip>', 'address relayed sockets bind on, one per family (default: the listen host)', collect, [])
    .option('--public-address <ip>', 'behind 1:1 NAT: the public IP clients and peers reach this relay on, one per family; sent in XOR-RELAYED-ADDRESS and registered in the fleet (like coturn --external-ip)', collect, [])
    .option('--tls-listen <host:port>', 'TURN over TLS (turns:) listen address, e.g. 0.0.0.0:5349 or :443 (repeatable; needs --tls-cert and --tls-key)', collect, [])
    .option('--tls-cert <file>', 'PEM certificate chain for --tls-listen (re-read on SIGHUP: renewals need no restart)')
    .option('--tls-key <file>', 'PEM private key for --tls-listen')
    .option('--ports <min-max>', 'relayed port range', portRange)
    .option('--quota-participant <n>', 'allocations per participant', positiveInt('quota-participant'))
    .option('--quota-meeting <n>', 'allocations per meeting', positiveInt('quota-meeting'))
    .option('--quota-evict-idle <seconds>', 'at the participant quota, an Allocate replaces an allocation of theirs that relayed nothing this long (0: never, answer 486; default 30)', positiveInt('quota-evict-idle'))
    .option('--capacity <n>', 'allocations in total before 508', positiveInt('capacity'))
    .option('--bandwidth <bytesPerSecond>', 'per-allocation bandwidth limit', positiveInt('bandwidth'))
    .option('--require-meeting', 'accept only <expiry>:<meetingId>:<participantId> usernames')
    .option('--grace <seconds>', 'on SIGTERM: keep relaying existing allocations this long before closing (default: 30, or relay.drainGraceSeconds of --config)', positiveInt('grace'))
    .option('--interrupt-grace <seconds>', 'the same on SIGINT (a second SIGINT closes at once)', positiveInt('interrupt-grace'), 2)
    .option('--software <name>', 'SOFTWARE attribute of responses')
    .option('--config <file>', 'network config: join a region (with --region and --id; --listen/--metrics override the config)')
    .option('--region <id>', 'region to join (with --config)')
    .option('--id <relayId>', 'this relay\'s id in the region (with --config)')
    .option('--state-prefix <prefix>', 'key prefix in the region\'s Redis, to share one Redis between networks (default: sr)')
    .option('--reuse-port', 'SO_REUSEPORT on the UDP, TCP and TLS listeners: run several relay processes on the same port to use more cores (the kernel keeps each client on one process)')
    .addOption(logLevelOption())
    .option('--data-path <native|ts>', 'UDP data path: the native engine (batched I/O, one thread per core on one port) or the TypeScript path; default: native when its addon is built', dataPathFlag)
    .option('--data-threads <n>', 'native data threads (default: the number of cores)', dataThreadsFlag)
    .option('--prewarm <allocations>', 'before opening the listeners, run this many calls\' requests through a throwaway server so the request path is optimized before the first reconnect storm (0: none; in region mode: relay.prewarmAllocations)', positiveInt('prewarm'), 3000)
    .action(async (flags: RelayFlags) => {
      if (flags.config !== undefined || flags.region !== undefined || flags.id !== undefined) {
        if (flags.config === undefined || flags.region === undefined || flags.id === undefined) {
          console.error('sovereign relay: region mode needs all of --config <file> --region <id> --id <relayId>')
          process.exitCode = 2
          return
        }
        await runRegionRelay(flags as RelayFlags & { config: string; region: string; id: string })
        return
      }
      const log = createLogger({ name: 'relay', level: flags.logLevel })
      const secrets = flags.secret.length > 0 ? flags.secret : (process.env.SOVEREIGN_RELAY_SECRETS ?? '').split(',').filter(Boolean)
      if (secrets.length === 0) throw new CliError('ERR_CLI_OPTION', 'give at least one --secret (or SOVEREIGN_RELAY_SECRETS)')
      const tls = tlsFiles(flags)
      const options: RelayNodeOptions = {
        listen: flags.listen.length > 0 ? flags.listen : ['127.0.0.1:3478'],
        secrets,
        realm: flags.realm,
        allowPeers: flags.allowPeers,
        denyPeers: flags.denyPeers,
        relayAddresses: flags.relayAddress,
        publicAddresses: flags.publicAddress,
        requireMeeting: flags.requireMeeting ?? false,
        quotas: {
          ...(flags.quotaParticipant !== undefined ? { allocationsPerParticipant: flags.quotaParticipant } : {}),
          ...(flags.quotaMeeting !== undefined ? { allocationsPerMeeting: flags.quotaMeeting } : {}),
          ...(flags.quotaEvictIdle !== undefined ? { evictIdleAfterSeconds: flags.quotaEvictIdle } : {}),
          ...(flags.capacity !== undefined ? { capacity: flags.capacity } : {}),
          ...(flags.bandwidth !== undefined ? { bandwidthBytesPerSecond: flags.bandwidth } : {}),
        },
        ...(flags.metrics ? { metrics: flags.metrics } : {}),
        ...(flags.ports ? { ports: flags.ports } : {}),
        ...(flags.software ? { software: flags.software } : {}),
        ...(flags.reusePort ? { reusePort: true } : {}),
        ...(flags.dataPath ? { dataPath: flags.dataPath } : {}),
        ...(flags.dataThreads !== undefined ? { dataThreads: flags.dataThreads } : {}),
        prewarm: flags.prewarm,
        ...(tls ? { tls: { listen: tls.listen, ...(await readTlsFiles(tls)) } } : {}),
      }
      const node = await startRelayNode({ ...options, onError: (err, where) => log.error({ err, where }, `unexpected error in ${where}`) })
      announce(node, options, log)
      process.on('SIGHUP', () => {
        if (tls) void renewTlsCertificate(tls, (cert, key) => node.setTlsCertificate(cert, key), (m) => log.info({ event: 'sighup' }, `SIGHUP: ${m}`))
        else log.warn({ event: 'sighup' }, 'SIGHUP ignored — a standalone relay has no config file to reload (restart with new --secret flags, old one listed second)')
      })
      await runUntilSignalled(node, { termGraceSeconds: flags.grace ?? 30, interruptGraceSeconds: flags.interruptGrace }, log)
    })
  registerRelayDrain(relay, drainIo)
}

interface TlsFlags extends TlsFiles {
  readonly listen: readonly string[]
}

/** The TLS flags, all or none: a TLS listener without its certificate (or the reverse) is refused. */
export function tlsFiles(flags: { tlsListen: string[]; tlsCert?: string; tlsKey?: string }): TlsFlags | undefined {
  const given = [flags.tlsListen.length > 0, flags.tlsCert !== undefined, flags.tlsKey !== undefined]
  if (given.every((g) => !g)) return undefined
  if (!given.every(Boolean)) throw new CliError('ERR_CLI_OPTION', 'TURN over TLS needs all of --tls-listen <host:port>, --tls-cert <file> and --tls-key <file>')
  return { listen: flags.tlsListen, cert: flags.tlsCert!, key: flags.tlsKey! }
}

/** The standalone relay's start-up lines, as structured records (the secrets only counted). */
export function announce(node: RelayNode, o: RelayNodeOptions, log: Logger): void {
  const listening = node.addresses.map((a) => `${a.transport}://${formatHostPort(a)}`)
  log.info({ event: 'listening', listening, ...buildInfo() }, `listening on ${listening.join(' ')}`)
  const publicAddresses = o.publicAddresses ?? []
  if (publicAddresses.length > 0) log.info({ event: 'public-address', publicAddresses }, `behind 1:1 NAT: advertising ${publicAddresses.join(', ')} in XOR-RELAYED-ADDRESS`)
  log.info({ event: 'mode', mode: 'standalone' }, 'standalone — no residency policy (peer safety still applies)')
  const allowPeers = o.allowPeers ?? []
  log.info({ event: 'auth', realm: o.realm ?? 'sovereign', secretCount: o.secrets.length, allowPeers }, `realm ${o.realm ?? 'sovereign'}, ${o.secrets.length} secret(s), allowed peer ranges: ${allowPeers.join(', ') || 'none beyond public addresses'}`)
  if (node.metricsUrl) log.info({ event: 'metrics', metricsUrl: `${node.metricsUrl}/metrics`, healthUrl: `${node.metricsUrl}/healthz` }, `metrics at ${node.metricsUrl}/metrics (health ${node.metricsUrl}/healthz)`)
  log.info({ event: 'data-path', dataPath: node.sockets.dataPath.kind, dataThreads: node.sockets.dataPath.threads }, dataPathLine(node))
  logPrewarm(node.prewarm, log)
}

/** What the start-up prewarm did, said once (nothing when there was none). */
function logPrewarm(p: PrewarmResult | undefined, log: Logger): void {
  if (p) log.info({ event: 'prewarm', allocations: p.allocations, ms: Math.round(p.ms) }, `request path prewarmed: ${p.allocations} throwaway allocations in ${(p.ms / 1000).toFixed(1)} s`)
}

/** Which UDP data path runs, said once at start-up. */
export function dataPathLine(node: RelayNode): string {
  const { kind, threads } = node.sockets.dataPath
  return kind === 'native'
    ? `data path native (C++ engine, ${threads} data thread${threads === 1 ? '' : 's'} on each UDP port)`
    : `data path ts (Node dgram, one thread)${node.sockets.dataPathNote ? `: ${node.sockets.dataPathNote}` : ''}`
}

/**
 * SIGTERM: stop accepting allocations, keep relaying for the grace period (or until the
 * last allocation is gone), then close. SIGINT: the same with a shorter grace; a second
 * SIGINT closes at once.
 */
export interface Stoppable {
  readonly server: { readonly table: { readonly size: number } }
  shutdown(graceMs: number): Promise<void>
  close(): Promise<void>
}

export function runUntilSignalled(node: Stoppable, o: { termGraceSeconds: number; interruptGraceSeconds: number }, log: Logger): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false
    const stop = (signal: string, graceSeconds: number): void => {
      if (stopping) {
        if (signal === 'SIGINT') {
          log.info({ event: 'closing', signal }, 'closing now')
          void node.close().then(resolve)
        }
        return
      }
      stopping = true
      log.info({ event: 'draining', signal, allocations: node.server.table.size, graceSeconds }, `${signal}: draining — no new allocations, ${node.server.table.size} existing keep relaying for up to ${graceSeconds} s`)
      void node.shutdown(graceSeconds * 1000).then(() => {
        log.info({ event: 'closed' }, 'closed')
        process.off('SIGTERM', onTerm)
        process.off('SIGINT', onInt)
        resolve()
      })
    }
    const onTerm = (): void => stop('SIGTERM', o.termGraceSeconds)
    const onInt = (): void => stop('SIGINT', o.interruptGraceSeconds)
    process.on('SIGTERM', onTerm)
    process.on('SIGINT', onInt)
  })
}

/** Region mode: residency policy from the region's Redis, fleet registration, revocations, audit. */
async function runRegionRelay(flags: RelayFlags & { config: string; region: string; id: string }): Promise<void> {
  const log = createLogger({ name: 'relay', level: flags.logLevel, base: { region: flags.region, relayId: flags.id } })
  const store = await ConfigStore.open(flags.config)
  const config = store.current
  const relay = await startRegionRelay({
    config,
    region: flags.region,
    id: flags.id,
    ...(flags.listen.length > 0 ? { listen: flags.listen } : {}),
    ...(flags.metrics ? { metrics: flags.metrics } : {}),
    ...(flags.statePrefix ? { statePrefix: flags.statePrefix } : {}),
    ...(flags.reusePort ? { reusePort: true } : {}),
    ...(flags.relayAddress.length > 0 ? { relayAddresses: flags.relayAddress } : {}),
    ...(flags.publicAddress.length > 0 ? { publicAddresses: flags.publicAddress } : {}),
    ...(flags.dataPath ? { dataPath: flags.dataPath } : {}),
    ...(flags.dataThreads !== undefined ? { dataThreads: flags.dataThreads } : {}),
    // region-relay.ts logs plain sentences; its warnings start with "warning: ", its errors with "error: ".
    log: (m) => m.startsWith('warning: ') ? log.warn(m.slice('warning: '.length)) : m.startsWith('error: ') ? log.error(m.slice('error: '.length)) : log.info(m),
  })
  const { node } = relay
  const listening = node.addresses.map((a) => `${a.transport}://${formatHostPort(a)}`)
  log.info({ event: 'listening', config: config.source, listening, ...buildInfo() }, `${flags.id} joined region ${flags.region} (${config.source}); listening on ${listening.join(' ')}`)
  log.info({ event: 'mode', mode: 'region' }, 'residency policy from the home region of each meeting; registered in the region fleet')
  log.info({ event: 'data-path', dataPath: node.sockets.dataPath.kind, dataThreads: node.sockets.dataPath.threads }, dataPathLine(node))
  logPrewarm(node.prewarm, log)
  if (node.metricsUrl) log.info({ event: 'metrics', metricsUrl: `${node.metricsUrl}/metrics`, healthUrl: `${node.metricsUrl}/healthz` }, `metrics at ${node.metricsUrl}/metrics (health ${node.metricsUrl}/healthz)`)
  // SIGHUP: re-read the config; new relay secrets apply at once (rotation by overlap), an
  // invalid file is refused and the running config stays.
  store.on('change', ({ config: next }) => {
    const r = relay.reload(next)
    log.info({ event: 'config-reloaded', secretCount: r.secrets, needsRestart: r.needsRestart }, `SIGHUP: config reloaded, ${r.secrets} relay secret(s) in force${r.needsRestart.length ? `; needs a draining restart to apply: ${r.needsRestart.join(', ')}` : ''}`)
  })
  store.on('rejected', (err) => log.error({ event: 'config-rejected', err }, `SIGHUP: reload refused, the running config stays: ${err.message}`))
  store.on('error', (err) => log.error({ event: 'config-reload-failed', err }, `SIGHUP: reload failed: ${err.message}`))
  store.watchSighup(process)
  await runUntilSignalled({ server: node.server, shutdown: (ms) => relay.shutdown(ms), close: () => relay.close() }, { termGraceSeconds: flags.grace ?? config.relay.drainGraceSeconds, interruptGraceSeconds: flags.interruptGrace }, log)
}
