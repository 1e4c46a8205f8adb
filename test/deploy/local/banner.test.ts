import { readFile } from 'node:fs/promises'

import t from 'tap'

import { formatBanner, publishedKeys } from '../../../deploy/local/banner.js'
import { defaultConfigPath } from '../../../deploy/local/local-network.js'

const network = {
  configPath: '/x/local.yaml',
  state: 'redis' as const,
  prefix: 'localabc',
  regions: [
    { id: 'eu-central', name: 'Frankfurt', controlPlaneUrl: 'http://127.0.0.1:8080', controlPlaneMetricsUrl: 'http://127.0.0.1:9180', relays: [{ id: 'eu-central-1', udp: ['127.1.0.1:3478'], tcp: ['127.1.0.1:3478'], metricsUrl: 'http://127.1.0.1:9100' }] },
    { id: 'us-east', name: 'Virginia', controlPlaneUrl: 'http://127.0.0.1:8081', relays: [] },
  ],
}

t.test('the example config publishes the demo and admin keys in its comments', async (t) => {
  const keys = publishedKeys(await readFile(defaultConfigPath(), 'utf8'))
  t.equal(keys.demo, 'sk_test_demo_tenant_local_network_only_not_secret00')
  t.equal(keys.admin, 'sk_admin_local_admin_local_network_only_not_secret00')
})

t.test('the banner names every control plane with its API, docs and metrics, every relay, and the curls against eu-central', async (t) => {
  const text = formatBanner(network, { demo: 'sk_demo', admin: 'sk_admin' })
  t.match(text, 'http://127.0.0.1:8080/v1')
  t.match(text, 'http://127.0.0.1:8081/docs')
  t.match(text, 'http://127.0.0.1:9180/metrics', 'a control plane\'s metrics listener')
  t.match(text, 'http://127.0.0.1:8081/metrics (admin key)', 'without one, the API port\'s /metrics says it needs the admin key')
  t.match(text, 'turn:127.1.0.1:3478?transport=udp')
  t.match(text, 'key prefix "localabc"')
  t.match(text, 'export SR=http://127.0.0.1:8080 KEY=sk_demo')
  t.match(text, '$SR/v1/meetings/$MEETING/tokens')
})

t.test('on the memory store the banner says it is single-process only', async (t) => {
  t.match(formatBanner({ ...network, state: 'memory' }, {}), /single-process only/)
  t.notMatch(formatBanner({ ...network, state: 'memory' }, {}), /curl/, 'no curls without a published demo key')
})

t.test('the banner prints each region\'s dashboard URL with the admin key in the fragment', async (t) => {
  const text = formatBanner(network, { demo: 'sk_demo', admin: 'sk_admin' })
  t.match(text, 'dashboard      http://127.0.0.1:8080/dashboard#key=sk_admin')
  t.match(text, 'http://127.0.0.1:8081/dashboard#key=sk_admin')
  t.match(formatBanner(network, {}), /dashboard {6}http:\/\/127\.0\.0\.1:8080\/dashboard\n/, 'without a published key: the bare URL (the page asks)')
})
