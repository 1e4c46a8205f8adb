import type { Command } from 'commander'

import { ConfigError } from '../../config/config-error.js'
import { loadConfig } from '../../config/load-config.js'
import type { NetworkConfig } from '../../config/network-config.js'
import { StateRegistry } from '../../state/state-registry.js'
import { acceptsAllocations } from '../../state/fleet.js'

/**
 * `sovereign state ping --config <file> [--region <id>]`: can every region's Redis be reached?
 * `sovereign state fleet --config <file> --region <id>`: the live relays of a region.
 * `sovereign state policy <meetingId> --config <file>`: what relays see of a meeting.
 * `sovereign state audit <meetingId> --config <file>`: the meeting's residency audit stream.
 * Reads go to the meeting's HOME region (named by its id), like every relay's reads.
 */
export function registerState(program: Command): void {
  const state = program.command('state').description('inspect the shared state in each region\'s Redis')

  state
    .command('ping')
    .description('connect to the Redis of every region (or one) and report; exit code 1 if any is unreachable')
    .requiredOption('--config <file>', 'the YAML network config')
    .option('--region <id>', 'only this region')
    .option('--timeout <ms>', 'how long to wait for each connection', '3000')
    .action(async (o: { config: string; region?: string; timeout: string }) => {
      await withRegistry(o.config, async (registry, config) => {
        const ids = o.region ? [o.region] : config.regions.map((r) => r.id)
        for (const id of ids) {
          const s = registry.region(id)
          const kind = s.kind === 'memory' ? 'memory (single-process: empty here)' : s.connection!.kind
          try {
            await s.ready(Number(o.timeout))
            process.stdout.write(`OK    ${id}  ${kind}\n`)
          } catch (err) {
            process.stdout.write(`DOWN  ${id}  ${kind}  ${(err as Error).message}\n`)
            process.exitCode = 1
          }
        }
      })
    })

  state
    .command('fleet')
    .description('list the live relays of a region with their load')
    .requiredOption('--config <file>', 'the YAML network config')
    .requiredOption('--region <id>', 'the region')
    .option('--json', 'print JSON')
    .action(async (o: { config: string; region: string; json?: boolean }) => {
      await withRegistry(o.config, async (registry) => {
        const s = registry.region(o.region)
        await s.ready()
        const live = await s.fleet.liveRelays()
        if (o.json) {
          process.stdout.write(`${JSON.stringify(live, null, 2)}\n`)
          return
        }
        process.stdout.write(`${live.length} live relay(s) in ${o.region}\n`)
        for (const r of live) {
          const state = r.draining ? 'draining' : acceptsAllocations(r) ? 'accepting' : 'full'
          process.stdout.write(`${r.id.padEnd(24)} ${state.padEnd(9)} alloc ${r.load.allocations}/${r.capacity}  cpu ${(r.load.cpu * 100).toFixed(0)}%  udp ${r.udp.join(',')}  v${r.version}\n`)
        }
      })
    })

  state
    .command('policy')
    .description("print the policy snapshot relays read for a meeting (from the meeting's home region)")
    .argument('<meetingId>')
    .requiredOption('--config <file>', 'the YAML network config')
    .action(async (meetingId: string, o: { config: string }) => {
      await withRegistry(o.config, async (registry) => {
        const s = registry.forMeeting(meetingId)
        await s.ready()
        const snap = await s.policy.snapshot(meetingId)
        if (!snap) {
          process.stderr.write(`no meeting ${meetingId} in region ${s.region}\n`)
          process.exitCode = 1
          return
        }
        const json = { ...snap, admittedEndpoints: [...snap.admittedEndpoints], revokedParticipants: [...snap.revokedParticipants] }
        process.stdout.write(`${JSON.stringify(json, null, 2)}\n`)
      })
    })

  state
    .command('audit')
    .description("print a meeting's residency audit stream in order (from its home region)")
    .argument('<meetingId>')
    .requiredOption('--config <file>', 'the YAML network config')
    .option('--json', 'print JSON lines')
    .action(async (meetingId: string, o: { config: string; json?: boolean }) => {
      await withRegistry(o.config, async (registry) => {
        const s = registry.forMeeting(meetingId)
        await s.ready()
        for (const e of await s.audit.read(meetingId)) {
          if (o.json) process.stdout.write(`${JSON.stringify(e)}\n`)
          else process.stdout.write(`${new Date(e.at).toISOString()} ${e.allow ? 'ALLOW' : 'DENY '} ${e.kind.padEnd(14)} ${e.reason.padEnd(28)} ${e.actor}${e.detail ? `  ${e.detail}` : ''}\n`)
        }
      })
    })
}

async function withRegistry(file: string, fn: (registry: StateRegistry, config: NetworkConfig) => Promise<void>): Promise<void> {
  let config: NetworkConfig
  try {
    config = await loadConfig(file)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    process.stderr.write(`${error.message}\n`)
    process.exitCode = 1
    return
  }
  const registry = new StateRegistry({ regions: config.regions, warn: (m) => process.stderr.write(`${m}\n`) })
  try {
    await fn(registry, config)
  } finally {
    await registry.close()
  }
}
