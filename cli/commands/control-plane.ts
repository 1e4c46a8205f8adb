import type { Command } from 'commander'

import { isConfigError } from '../../config/config-error.js'
import { ControlPlaneNodeError, startControlPlaneNode } from '../../control-plane/node.js'
import { logLevelOption, type LogLevel } from '../../platform/logger.js'

interface ControlPlaneFlags {
  config: string
  region: string
  nodeId?: string
  listen?: string
  metrics?: string
  logLevel: LogLevel
}

/**
 * `sovereign control-plane --config file --region id [--node-id n] [--listen host:port] [--metrics host:port]`:
 * one control-plane node of a region. SIGHUP reloads the config, SIGTERM drains and exits.
 */
export function registerControlPlane(program: Command): void {
  program
    .command('control-plane')
    .description('run a control-plane node of one region (HTTP API, OpenAPI at /docs; /metrics on --metrics)')
    .requiredOption('--config <file>', 'network config (YAML)')
    .requiredOption('--region <id>', 'the region this node serves; must be in the config')
    .option('--node-id <id>', 'unique id of this node within the region (default: region-hostname-random)')
    .option('--listen <host:port>', 'listen address (default: the region\'s controlPlane.listen); port 0 picks one')
    .option('--metrics <host:port>', 'serve /metrics, /healthz and /readyz here for Prometheus (default: the region\'s controlPlane.metricsListen); on the API port /metrics needs an operator key')
    .addOption(logLevelOption())
    .action(async (flags: ControlPlaneFlags) => {
      try {
        const node = await startControlPlaneNode({
          configPath: flags.config, region: flags.region, logger: { level: flags.logLevel },
          ...(flags.nodeId === undefined ? {} : { nodeId: flags.nodeId }),
          ...(flags.listen === undefined ? {} : { listen: flags.listen }),
          ...(flags.metrics === undefined ? {} : { metricsListen: flags.metrics }),
        })
        await node.closed
      } catch (err) {
        if (isConfigError(err) || err instanceof ControlPlaneNodeError) {
          console.error(`sovereign control-plane: ${err.message}`)
          process.exitCode = 2
          return
        }
        throw err
      }
    })
}
