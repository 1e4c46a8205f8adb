/**
 * A control-plane node of eu-central in a process of its own, for tests that kill it
 * (SIGKILL: no cleanup at all). argv: config file, key prefix, node id, presence lease
 * ms, renewal ms. Prints `ready <signal url>` once it listens.
 */
import { readFileSync } from 'node:fs'

import { parseConfig } from '../../../config/load-config.js'
import type { Network } from '../app/fixture.js'
import { startNode } from './support.js'

const [configPath, prefix, nodeId, leaseMs, renewMs] = process.argv.slice(2)
const config = parseConfig({ text: readFileSync(configPath!, 'utf8'), source: configPath! }, { env: {} })
const node = await startNode({ config, prefix } as Network, 'eu-central', nodeId!, { presence: { leaseMs: Number(leaseMs), renewMs: Number(renewMs) } })
process.stdout.write(`ready ${node.url}\n`)
