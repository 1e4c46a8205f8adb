import t from 'tap'
import type { Cluster } from 'ioredis'
import { conformance, meeting, participant, REGION } from './support/conformance.js'
import { redisHarness } from './support/redis-harness.js'
import { startRedisCluster, type RedisCluster } from './support/redis-servers.js'
import { regionViewsConformance, viewsHarness } from './support/region-views-conformance.js'

// one cluster for the whole file: starting one costs seconds
let cluster: RedisCluster
t.before(async () => {
  cluster = await startRedisCluster(3)
})
t.teardown(() => cluster?.stop())

t.test('the Redis store on a real 3-master Redis Cluster', async (t) => {
  conformance(t, async () => redisHarness({ cluster: { nodes: cluster.nodes } }))
})

t.test('meetings spread over the masters, each meeting whole on one of them', async (t) => {
  const h = redisHarness({ cluster: { nodes: cluster.nodes } })
  t.teardown(() => h.dispose())
  const s = await h.open(REGION)
  const ids: string[] = []
  for (let i = 0; i < 24; i++) {
    const m = meeting()
    ids.push(m.id)
    await s.meetings.create(m)
    await s.meetings.putParticipant(m.id, participant('p1'))
    await s.revocations.revoke(m.id, 'p2', { ttlMs: 60_000 })
    await s.audit.append(m.id, { at: 1, actor: 'cp-1', kind: 'admission', allow: true, reason: 'home_region' })
  }
  const masters = (s.connection!.command as Cluster).nodes('master')
  const holders = new Map<string, Set<string>>()
  for (const node of masters) {
    for (const id of ids) {
      const keys = await node.keys(`${s.keys.prefix}:{${REGION}:m:${id}}:*`)
      if (keys.length) holders.set(id, new Set([...(holders.get(id) ?? []), `${node.options.port}`]))
    }
  }
  t.equal(holders.size, ids.length, 'every meeting was written')
  t.ok([...holders.values()].every((n) => n.size === 1), 'no meeting is split across masters')
  const used = new Set([...holders.values()].flatMap((n) => [...n]))
  t.ok(used.size >= 2, `meetings landed on ${used.size} of ${masters.length} masters`)
})

t.test('the region views (meeting index, decision feed) on a real 3-master Redis Cluster', async (t) => {
  regionViewsConformance(t, () => viewsHarness({ cluster: { nodes: cluster.nodes } }))
})
