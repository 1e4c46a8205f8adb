/**
 * One region relay in a process of its own, for failover runs that SIGKILL it (no
 * cleanup at all: its fleet entry stays until its heartbeat TTL runs out, as after a
 * crash). argv: config file, key prefix, region, relay id; the heartbeat period and TTL
 * come from the config (`relay.heartbeat`).
 * Prints `ready <udp host:port>` once it listens and has beaten once. BENCH_FAILOVER_DROPS=1
 * logs its drop counts by reason.
 */
import { readFileSync } from 'node:fs'

import { parseConfig } from '../config/load-config.js'
import { startRegionRelay } from '../relay/region/region-relay.js'

const [configPath, prefix, region, id] = process.argv.slice(2)
if (!configPath || !prefix || !region || !id) throw new Error('usage: failover-relay <config> <prefix> <region> <id>')
const config = parseConfig({ text: readFileSync(configPath, 'utf8'), source: configPath }, { env: {} })
const relay = await startRegionRelay({
  config, region, id, metrics: null, statePrefix: prefix,
  log: (message) => process.stderr.write(`${id}: ${message}\n`),
})
// BENCH_FAILOVER_DROPS=1: what the relay dropped and why, each flush (a slow reconnect's first suspect).
if (process.env.BENCH_FAILOVER_DROPS === '1') {
  // Peer datagrams without a permission (fromPeer) are told apart from the clients' (Send, ChannelData).
  const server = relay.node.server
  const fromPeer = server.fromPeer.bind(server)
  let fromPeers = 0
  server.fromPeer = (a, address, port, data) => {
    const r = fromPeer(a, address, port, data)
    if (r === 'no-permission') {
      fromPeers++
      if (process.env.BENCH_FAILOVER_DROPS_DETAIL === '1') process.stderr.write(`${id}: no permission at relayed :${a.relayed?.port} (client ${a.tupleKey}) from ${address}:${port}, permissions ${JSON.stringify([...a.permissions.keys()])}\n`)
    }
    return r
  }
  server.events.on('dropped', (reason, count) => {
    const split = reason === 'no-permission' ? ` (${fromPeers} from peers)` : ''
    if (reason === 'no-permission') fromPeers = 0
    process.stderr.write(`${new Date().toISOString().slice(14, 23)} ${id}: dropped ${count} ${reason}${split}\n`)
  })
}
await relay.heartbeat.beatNow()
const udp = relay.node.addresses.find((a) => a.transport === 'udp')!
process.stdout.write(`ready ${udp.host}:${udp.port}\n`)
const stop = (): void => { void relay.close().then(() => process.exit(0)) }
process.on('SIGTERM', stop)
// The parent holds our stdin: when it goes (even by a crash), so do we, rather than beat on as an orphan.
process.stdin.on('end', stop).resume()
