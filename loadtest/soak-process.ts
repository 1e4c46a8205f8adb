/**
 * One process of the soak (soak.ts): a control-plane node or a region relay of the soak's
 * config, started through the same compositions `sovereign control-plane` and
 * `sovereign relay --config` use. Started with --expose-gc; over IPC it answers
 * `{ type: 'measure' }` with its memory after a full collection, so "heap used" is what is
 * still referenced, not garbage waiting for the next GC.
 *
 * `{ type: 'snapshot', path }` writes a V8 heap snapshot there (after the same collection).
 *
 *   soak-process.ts cp <config> <region> <prefix>
 *   soak-process.ts relay <config> <region> <relay-id> <prefix>
 */
import { writeHeapSnapshot } from 'node:v8'

import { loadConfig } from '../config/load-config.js'
import { startControlPlaneNode } from '../control-plane/node.js'
import { startRegionRelay } from '../relay/region/region-relay.js'

export interface SoakReady {
  readonly type: 'ready'
  readonly url?: string
}

export interface SoakMemory {
  readonly type: 'memory'
  readonly rss: number
  readonly heapUsed: number
  readonly heapTotal: number
  readonly external: number
}

function measure(): SoakMemory {
  const gc = (globalThis as { gc?: () => void }).gc
  if (!gc) throw new Error('soak-process needs --expose-gc')
  // Two passes: the first may only schedule finalizers whose objects the second frees.
  gc()
  gc()
  const m = process.memoryUsage()
  return { type: 'memory', rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external }
}

async function main(): Promise<void> {
  const [role, configPath, region, ...rest] = process.argv.slice(2)
  let close: () => Promise<void>
  let ready: SoakReady
  if (role === 'cp') {
    const node = await startControlPlaneNode({ configPath: configPath!, region: region!, listen: '127.0.0.1:0', prefix: rest[0]!, logger: { level: 'error' }, env: {}, nodeId: `${region}-soak` })
    await node.subscribed
    close = () => node.close()
    ready = { type: 'ready', url: node.url }
  } else if (role === 'relay') {
    const config = await loadConfig(configPath!, { env: {} })
    const relay = await startRegionRelay({ config, region: region!, id: rest[0]!, statePrefix: rest[1]!, metrics: null, log: (line) => process.stderr.write(`${rest[0]}: ${line}\n`) })
    close = () => relay.close()
    ready = { type: 'ready' }
  } else {
    console.error('usage: soak-process.ts cp <config> <region> <prefix> | relay <config> <region> <relay-id> <prefix>')
    process.exit(2)
  }
  process.on('message', (m: { type?: string; path?: string }) => {
    if (m.type === 'measure') process.send!(measure())
    // For finding what is retained: compare two snapshots in Chrome DevTools (Comparison view).
    if (m.type === 'snapshot') process.send!({ type: 'snapshot', path: (measure(), writeHeapSnapshot(m.path)) })
  })
  const stop = (): void => { void close().then(() => process.exit(0)) }
  process.once('SIGTERM', stop)
  process.once('disconnect', stop)
  process.send!(ready)
}

await main()
