import t from 'tap'

import { openRedisConnection } from '../../state/redis-connection.js'

t.test('a Redis password named by an environment variable that is not set is refused with a coded error, before any connection', async (t) => {
  const cluster = { cluster: { nodes: ['127.0.0.1:1'], password: { env: 'SOVEREIGN_TEST_UNSET_PASSWORD' } } }
  t.throws(() => openRedisConnection(cluster, { region: 'eu-central', env: {} }), { code: 'ERR_STATE_SECRET_MISSING', name: 'StateError', message: /SOVEREIGN_TEST_UNSET_PASSWORD/ })
})
