/**
 * A control-plane node in a process of its own, so a test can SIGKILL it: argv is the
 * network config file, the Redis key prefix, the region and the node id. Prints
 * `ready <signaling url>` once it listens on a free loopback port.
 */
import { readFile } from 'node:fs/promises'

import { parseConfig } from '../../../../config/load-config.js'
import type { Network } from '../../app/fixture.js'
import { startNode } from '../../signaling/support.js'

const [configPath, prefix, region, nodeId] = process.argv.slice(2)
if (!configPath || !prefix || !region || !nodeId) throw new Error('usage: node-process <config> <prefix> <region> <nodeId>')
const config = parseConfig({ text: await readFile(configPath, 'utf8'), source: configPath }, { env: {} })
const node = await startNode({ config, prefix } as Network, region, nodeId)
console.log(`ready ${node.url}`)
