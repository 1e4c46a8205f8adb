/**
 * Pub/sub over a Redis that goes away: leaving a channel while Redis is down must not fail
 * (an app closing during an outage threw from its close hook), and the channel must not
 * come back when ioredis re-subscribes after the reconnect.
 */
import t from 'tap'

import { openRegionState } from '../../../state/region-state.js'
import { REGION } from '../support/conformance.js'
import { startRedisServer, uniquePrefix } from '../support/redis-servers.js'

t.test('a subscription left while Redis is down resolves, and its channel is unsubscribed once Redis is back', async (t) => {
  const server = await startRedisServer()
  t.teardown(() => server.stop())
  const s = openRegionState({ region: REGION, redis: { url: server.url }, prefix: uniquePrefix() })
  t.teardown(() => s.close())
  await s.ready()
  const heard: string[] = []
  const kept = await s.pubsub.subscribe('kept', (m) => heard.push(`kept:${m}`))
  t.teardown(() => kept.unsubscribe())
  const left = await s.pubsub.subscribe('left', (m) => heard.push(`left:${m}`))

  await server.down()
  await s.health.when('reconnecting')
  await t.resolves(left.unsubscribe(), 'leaving a channel needs no answer from a Redis that is down')

  const resubscribed = new Promise<void>((resolve) => s.pubsub.onResubscribed(resolve))
  await server.up()
  await resubscribed
  await s.health.when('connected')
  const channels = async () => ((await s.connection!.command.call('PUBSUB', 'CHANNELS')) as string[]).sort()
  for (let i = 0; i < 50 && (await channels()).includes('left'); i++) await new Promise((r) => setImmediate(r))
  t.same(await channels(), ['kept'], 'only the channel with a handler is subscribed after the reconnect')
  await s.pubsub.publish('left', 'x')
  await s.pubsub.publish('kept', 'y')
  for (let i = 0; i < 200 && heard.length === 0; i++) await new Promise((r) => setImmediate(r))
  t.same(heard, ['kept:y'], 'and nothing reaches the handler that left')
})
