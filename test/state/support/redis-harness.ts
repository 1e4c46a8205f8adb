/** A conformance harness over real Redis (standalone or Cluster) with a unique prefix, cleaned after. */
import type { Cluster, Redis } from 'ioredis'
import type { RedisSettings } from '../../../config/schema.js'
import { openRegionState, type RegionState } from '../../../state/region-state.js'
import { ManualClock } from './clock.js'
import { uniquePrefix } from './redis-servers.js'
import type { Harness } from './conformance.js'

/** Delete every key under `prefix` on every master. */
export async function deletePrefix(client: Redis | Cluster, prefix: string): Promise<number> {
  const nodes: Redis[] = 'nodes' in client && typeof client.nodes === 'function' ? (client as Cluster).nodes('master') : [client as Redis]
  let n = 0
  for (const node of nodes) {
    let cursor = '0'
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
      cursor = next
      for (const k of keys) n += await node.del(k)
    } while (cursor !== '0')
  }
  return n
}

export function redisHarness(redis: RedisSettings, prefix = uniquePrefix()): Harness {
  const clock = new ManualClock()
  const opened = new Map<string, RegionState[]>()
  return {
    clock,
    async open(region) {
      const s = openRegionState({ region, redis, prefix, now: clock.now, auditMaxLength: 50 })
      opened.set(region, [...(opened.get(region) ?? []), s])
      await s.ready()
      return s
    },
    async dispose() {
      const all = [...opened.values()].flat()
      const first = all[0]
      if (first?.connection) await deletePrefix(first.connection.command, prefix)
      await Promise.all(all.map((s) => s.close()))
    },
  }
}
