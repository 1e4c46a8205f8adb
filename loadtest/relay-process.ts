/**
 * Our relay as a separate process for the benchmark, started through the relay's public
 * composition `startRelayNode` with the options `sovereign relay --listen --secret
 * --allow-peers --metrics` gives it. This is the default (`--ours-entry api`): it loads
 * only relay/ code, so the benchmark does not depend on every other command the CLI
 * imports; `--ours-entry cli` runs `sovereign relay` itself.
 *
 * Run directly: `relay-process.js <json RelayNodeOptions>`; it reports `{ type: 'ready',
 * port }` over IPC and closes on SIGTERM or when the parent goes away.
 */
import dgram from 'node:dgram'
import { pathToFileURL } from 'node:url'

import { startRelayNode, type RelayNodeOptions } from '../relay/relay-node.js'

/**
 * Lever experiment (`--ours-sync-lookup`): dgram's send(buf, port, address) resolves the
 * address with dns.lookup, which answers an IP literal on the next tick; a synchronous
 * lookup removes that hop per packet. Injected here by wrapping dgram.createSocket so the
 * effect on the relay can be measured without changing relay code.
 */
function useSyncLookup(): void {
  const original = dgram.createSocket
  const lookup = (address: string, _opts: unknown, cb: (err: Error | null, address: string, family: number) => void): void =>
    cb(null, address, address.includes(':') ? 6 : 4)
  ;(dgram as { createSocket: unknown }).createSocket = (options: dgram.SocketOptions | dgram.SocketType, listener?: never) =>
    original(typeof options === 'string' ? { type: options, lookup } : { lookup, ...options }, listener)
}

async function runChild(options: RelayNodeOptions): Promise<void> {
  if (process.env.BENCH_SYNC_LOOKUP === '1') useSyncLookup()
  const node = await startRelayNode({
    ...options,
    onError: (err, where) => process.stderr.write(`relay error in ${where}: ${(err as Error).stack ?? String(err)}\n`),
  })
  const udp = node.addresses.find((a) => a.transport === 'udp')
  process.send?.({ type: 'ready', port: udp?.port, metricsUrl: node.metricsUrl })
  const stop = (): void => { void node.close().then(() => process.exit(0)) }
  process.on('SIGTERM', stop)
  process.on('disconnect', stop)
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runChild(JSON.parse(process.argv[2] ?? '{}') as RelayNodeOptions)
}
