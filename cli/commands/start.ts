import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'

import type { Command } from 'commander'

import { formatBanner, publishedKeys } from '../../deploy/local/banner.js'
import { LocalNetworkError } from '../../deploy/local/local-network-error.js'
import { startLocalNetwork } from '../../deploy/local/local-network.js'
import { mintTurnCredential } from '../../relay/auth/index.js'
import { startRelayNode, type RelayNodeOptions } from '../../relay/relay-node.js'
import { newMeetingId, newParticipantId } from '../../state/meeting-id.js'
import { createLogger, logLevelOption, type LogLevel } from '../../platform/logger.js'
import { announce, runUntilSignalled } from './relay.js'

interface StartFlags {
  readonly config?: string
  readonly prefix?: string
  readonly keepState?: boolean
  readonly memory?: boolean
  readonly standaloneRelay?: boolean
  readonly listen: string
  readonly metrics: string
  readonly logLevel?: LogLevel
}

/**
 * `sovereign start` (what `npm start` runs): the three-region local network of
 * deploy/examples/local-network.yaml in one process (deploy/local/). `--standalone-relay`
 * keeps the old behaviour: one relay with a generated secret and a ready credential.
 */
export function registerStart(program: Command): void {
  program
    .command('start')
    .description('run the local network on loopback: every region\'s control plane and relays of deploy/examples/local-network.yaml, in one process')
    .option('--config <path>', 'network config (default: deploy/examples/local-network.yaml)')
    .option('--prefix <prefix>', 'Redis key prefix (default: a fresh random one per run); its keys are deleted at exit unless --keep-state')
    .option('--keep-state', 'leave the run\'s Redis keys at exit (and accept a --prefix that already holds keys)')
    .option('--memory', 'use the in-process memory store even if Redis answers')
    .option('--standalone-relay', 'instead: one standalone relay with a generated secret (no regions, no residency policy)')
    .option('--listen <host:port>', 'with --standalone-relay: listen address', '127.0.0.1:3478')
    .option('--metrics <host:port>', 'with --standalone-relay: metrics address', '127.0.0.1:9641')
    .addOption(logLevelOption(undefined, 'log records at this level and above (default: info for the relays and this command, warn for the control planes, whose request records would bury the banner)'))
    .action(async (flags: StartFlags) => {
      if (flags.standaloneRelay === true) return startStandaloneRelay(flags)
      await startNetwork(flags)
    })
}

async function startNetwork(flags: StartFlags): Promise<void> {
  const log = createLogger({ name: 'start', level: flags.logLevel ?? 'info' })
  let network
  try {
    network = await startLocalNetwork({
      ...(flags.config !== undefined ? { configPath: flags.config } : {}),
      ...(flags.prefix !== undefined ? { prefix: flags.prefix } : {}),
      ...(flags.keepState === true ? { keepState: true } : {}),
      ...(flags.memory === true ? { memory: true } : {}),
      controlPlaneLogLevel: flags.logLevel ?? 'warn',
      // Relays' and the network's sentences; warnings start with "warning: ".
      log: (line) => line.includes('warning: ') ? log.warn(line.replace('warning: ', '')) : log.info(line),
    })
  } catch (err) {
    if (err instanceof LocalNetworkError || (err instanceof Error && 'code' in err && typeof err.code === 'string' && err.code.startsWith('CONFIG_'))) {
      console.error(`sovereign start: ${err.message}`)
      // Exit now: a control plane whose listen failed can leave connections open behind it.
      process.exit(1)
    }
    throw err
  }
  const keys = publishedKeys(await readFile(flags.config ?? network.configPath, 'utf8').catch(() => ''))
  console.log(formatBanner(network, keys))
  const net = network
  await new Promise<void>((resolve) => {
    let stopping = false
    const stop = (signal: string) => {
      if (stopping) {
        if (signal === 'SIGINT') process.exit(130)
        return
      }
      stopping = true
      log.info({ event: 'closing', signal }, `${signal}: closing the local network`)
      net.close().then(() => {
        process.off('SIGINT', onInt)
        process.off('SIGTERM', onTerm)
        log.info({ event: 'closed' }, 'closed')
        resolve()
      }, (err: unknown) => {
        log.error({ event: 'close-failed', err }, `close failed: ${String(err)}`)
        process.exitCode = 1
        resolve()
      })
    }
    const onInt = () => stop('SIGINT')
    const onTerm = () => stop('SIGTERM')
    process.on('SIGINT', onInt)
    process.on('SIGTERM', onTerm)
  })
}

async function startStandaloneRelay(flags: StartFlags): Promise<void> {
  const secret = randomBytes(24).toString('base64url')
  const options: RelayNodeOptions = { listen: [flags.listen], secrets: [secret], allowPeers: ['127.0.0.0/8'], metrics: flags.metrics }
  const log = createLogger({ name: 'relay', level: flags.logLevel ?? 'info' })
  const node = await startRelayNode(options)
  announce(node, options, log)
  const udp = node.addresses.find((a) => a.transport === 'udp')!
  const cred = mintTurnCredential({ secret, meetingId: newMeetingId('local'), participantId: newParticipantId(), ttlSeconds: 3600, now: Date.now })
  console.log(`
TURN REST secret (this run only): ${secret}
Example credential, valid for one hour:
  username: ${cred.username}
  password: ${cred.password}
As an RTCPeerConnection / node-datachannel ICE server:
  ${JSON.stringify({ urls: `turn:${udp.host}:${udp.port}?transport=udp`, username: cred.username, credential: cred.password })}
  ${JSON.stringify({ hostname: udp.host, port: udp.port, username: cred.username, password: cred.password, relayType: 'TurnUdp' })}
Mint more: password = base64(HMAC-SHA1(secret, "<unix-expiry>:<meetingId>:<participantId>")).
Peers on 127.0.0.0/8 are allowed for local testing. Ctrl-C stops.`)
  await runUntilSignalled(node, { termGraceSeconds: 30, interruptGraceSeconds: 2 }, log)
}
