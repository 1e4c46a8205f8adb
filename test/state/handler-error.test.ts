import t from 'tap'
import { openRegionState } from '../../state/region-state.js'
import { uniquePrefix } from './support/redis-servers.js'

for (const redis of [{ memory: true as const }, { url: 'redis://127.0.0.1:6379' }]) {
  const kind = 'memory' in redis ? 'memory' : 'redis'
  t.test(`a throwing ${kind} pub/sub handler is reported as a warning and does not crash the process`, async (t) => {
    const state = openRegionState({ region: 'eu-central', redis, prefix: uniquePrefix('herr'), warn: () => {} })
    t.teardown(() => state.close())
    await state.ready()
    const warned = new Promise<Error>((resolve) => process.once('warning', resolve))
    let after = false
    await state.bus.subscribe('x', () => { throw new Error('malformed message') })
    await state.bus.subscribe('x', () => { after = true })
    await state.bus.publish('x', 'garbage')
    const w = await warned
    t.match(w.message, /malformed message/)
    t.equal((w as Error & { code?: string }).code, 'SOVEREIGN_PUBSUB_HANDLER')
    t.ok(after, 'the other handlers of the channel still ran')
  })
}
