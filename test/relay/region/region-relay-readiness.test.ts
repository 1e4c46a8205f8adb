/**
 * A region relay's /readyz (issue 9, item 7): ready while its region's Redis answers;
 * 503 while it is unreachable (a new allocation cannot be verified then, and is refused),
 * and ready again once it is back, without a restart. A redis-server of the test's own.
 */
import { randomBytes } from 'node:crypto'
import t from 'tap'

import { startRegionRelay } from '../../../relay/region/region-relay.js'
import { startRedisServer } from '../../state/support/redis-servers.js'
import { testNetwork } from '../../support/test-network.js'

t.test('/readyz is 503 while the relay\'s Redis is down and 200 again once it is back', async (t) => {
  const redis = await startRedisServer()
  t.teardown(() => redis.stop())
  const config = testNetwork([{ id: 'eu-central', country: 'DE', secret: 'eu-relay-secret-0003', redis: redis.url, relays: ['eu-r1'] }])
  const relay = await startRegionRelay({ config, region: 'eu-central', id: 'eu-r1', metrics: '127.0.0.1:0', statePrefix: `t-ready-${randomBytes(3).toString('hex')}`, heartbeatMs: 200 })
  t.teardown(() => relay.close())
  const readyz = async () => {
    const res = await fetch(`${relay.node.metricsUrl}/readyz`)
    return `${res.status} ${(await res.text()).trim()}`
  }
  const health = relay.registry.region('eu-central').health
  await health.when('connected')
  t.equal(await readyz(), '200 ready')

  await redis.down()
  await Promise.race([health.when('reconnecting'), health.when('down')])
  t.equal(await readyz(), '503 not ready', 'new allocations cannot be verified')

  await redis.up()
  await health.when('connected')
  t.equal(await readyz(), '200 ready', 'ready again without a restart')
})
