import { readFile } from 'node:fs/promises'

import type { Command } from 'commander'

import { DemoError } from '../../deploy/demo/demo-error.js'
import { formatStep, formatSummary } from '../../deploy/demo/format-demo.js'
import { releaseNativePeers, runDemo } from '../../deploy/demo/run-demo.js'
import { formatBanner, publishedKeys } from '../../deploy/local/banner.js'
import { LocalNetworkError } from '../../deploy/local/local-network-error.js'
import { defaultConfigPath, startLocalNetwork, type LocalNetwork } from '../../deploy/local/local-network.js'
import { logLevelOption, type LogLevel } from '../../platform/logger.js'

interface DemoFlags {
  readonly url: string
  readonly key?: string
  readonly end?: boolean
  readonly stay?: boolean
  readonly start?: boolean
  readonly memory?: boolean
  readonly timeout: string
  readonly logLevel?: LogLevel
}

const DEFAULT_URL = 'http://127.0.0.1:8080'

/** Where the command writes and how it ends; tests pass their own. */
export interface DemoIo {
  out(text: string): void
  err(text: string): void
  /** Resolves when the user asks to stop (--start, --stay). */
  untilStopped(): Promise<void>
  /** Called once with the exit code, after everything the command opened is closed. */
  finish(code: number): void
}

const processIo: DemoIo = {
  out: (text) => console.log(text),
  err: (text) => console.error(text),
  untilStopped: untilSignalled,
  finish: (code) => {
    process.exitCode = code
    // node-datachannel's native threads keep the process alive until released.
    releaseNativePeers()
  },
}

/**
 * `sovereign demo`: a scripted meeting against a running local network (deploy/demo/),
 * narrated step by step with ✔/✘ and reason codes; exit code 1 if any expected outcome
 * did not happen. `--start` brings up the local network in this process first and keeps
 * it (and the demo's participants) running until Ctrl-C, so `npm run sovereign -- demo --start`
 * alone is enough to fill the dashboard.
 */
export function registerDemo(program: Command, io: DemoIo = processIo): void {
  program
    .command('demo')
    .description('run a scripted meeting on the local network: admitted and refused attendees, WebRTC data channels through the relays, a refused foreign peer, the residency report')
    .option('--url <url>', 'a control plane of the running network', DEFAULT_URL)
    .option('--key <key>', 'the tenant API key (default: the published local demo key of deploy/examples/local-network.yaml)')
    .option('--end', 'end the meeting at the end (default: leave it running for the dashboard)')
    .option('--stay', 'keep the participants connected until Ctrl-C (default: they leave when the script is done)')
    .option('--start', 'first start the local network in this process, and keep it running until Ctrl-C')
    .option('--memory', 'with --start: use the in-process memory store even if Redis answers')
    .option('--timeout <ms>', 'bound on every awaited event', '10000')
    .addOption(logLevelOption(undefined, 'with --start: the control planes\' log level (default: error, so their records do not bury the narration)'))
    .action(async (flags: DemoFlags) => io.finish(await demo(flags, io)))
}

async function demo(flags: DemoFlags, io: DemoIo): Promise<number> {
  const timeoutMs = Number(flags.timeout)
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) return fail(io, `--timeout must be a positive number of milliseconds, not "${flags.timeout}"`)
  const key = flags.key ?? publishedKeys(await readFile(defaultConfigPath(), 'utf8')).demo
  if (key === undefined) return fail(io, 'no --key given and no published demo key found in deploy/examples/local-network.yaml')

  let network: LocalNetwork | undefined
  let url = flags.url
  if (flags.start === true) {
    try {
      network = await startLocalNetwork({ ...(flags.memory === true ? { memory: true } : {}), controlPlaneLogLevel: flags.logLevel ?? 'error', log: (line) => io.err(`sovereign demo: ${line}`) })
    } catch (err) {
      if (err instanceof LocalNetworkError) return fail(io, err.message)
      throw err
    }
    io.out(formatBanner(network, publishedKeys(await readFile(defaultConfigPath(), 'utf8'))))
    url = (network.regions.find((r) => r.id === 'eu-central') ?? network.regions[0]!).controlPlaneUrl
  }

  try {
    io.out(`Sovereign Relay demo against ${url}\n`)
    let session
    try {
      session = await runDemo({ url, apiKey: key, timeoutMs, ...(flags.end === true ? { end: true } : {}), onStep: (step) => io.out(formatStep(step)) })
    } catch (err) {
      if (err instanceof DemoError) return fail(io, err.message)
      throw err
    }
    io.out(formatSummary(session.result))
    const code = session.result.ok ? 0 : 1
    const hold = network !== undefined || flags.stay === true
    if (hold) {
      const what = [session.connected.length > 0 ? `${session.connected.length} participants stay connected` : '', network ? 'the local network keeps running' : ''].filter(Boolean).join(' and ')
      io.out(`\n${what || 'Holding'}; Ctrl-C stops.`)
      await io.untilStopped()
    }
    await session.close()
    return code
  } finally {
    await network?.close()
  }
}

function fail(io: DemoIo, message: string): number {
  io.err(`sovereign demo: ${message}`)
  return 1
}

function untilSignalled(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      resolve()
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
}
