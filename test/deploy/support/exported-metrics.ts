/**
 * The metric names the code really exports, read from live /metrics output: a relay in
 * region mode (memory state, loopback, port 0) and a control-plane app (memory state).
 * Returns name -> Prometheus type, from the `# TYPE` lines (present even for labelled
 * metrics that have no sample yet).
 */
import { parseConfig } from '../../../config/load-config.js'
import { startRegionRelay } from '../../../relay/region/region-relay.js'
import { MemoryRegion } from '../../../state/memory/backend.js'
import { network, startRegion } from '../../control-plane/app/fixture.js'

export type MetricTypes = ReadonlyMap<string, string>

export function parseExposition(text: string): Map<string, string> {
  const types = new Map<string, string>()
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) types.set(m[1]!, m[2]!)
  return types
}

const RELAY_CONFIG = `
version: 1
regions:
  - id: eu-central
    country: DE
    location: { lat: 50.11, lon: 8.68 }
    controlPlane: { url: http://127.0.0.1:18080 }
    redis: { memory: true }
    relaySecrets: [{ id: eu-a, value: deploy-test-relay-secret }]
    relays:
      - { id: eu-r1, listen: ['127.0.0.1:0'], metrics: '127.0.0.1:0' }
geo: { watch: false }
relay: { allowPeers: [127.0.0.0/8] }
admin:
  apiKeys: [{ id: ops, sha256: '${'0'.repeat(64)}' }]
`

export async function relayMetricTypes(): Promise<Map<string, string>> {
  const config = parseConfig({ text: RELAY_CONFIG, source: '<deploy test relay>' }, { env: {} })
  const relay = await startRegionRelay({ config, region: 'eu-central', id: 'eu-r1', heartbeatMs: 60_000 })
  try {
    const url = relay.node.metricsUrl
    if (!url) throw new Error('relay serves no metrics')
    const res = await fetch(`${url}/metrics`)
    return parseExposition(await res.text())
  } finally {
    await relay.close()
  }
}

export async function controlPlaneMetricTypes(): Promise<Map<string, string>> {
  const net = network()
  const region = await startRegion(net, 'eu-central', { memory: new Map<string, MemoryRegion>() })
  try {
    const res = await region.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${net.keys.admin}` } })
    return parseExposition(res.body)
  } finally {
    await region.close()
  }
}

/** Metric names in a PromQL expression; histogram/summary series map to their metric. */
export function metricNamesIn(expr: string, known: MetricTypes): string[] {
  const names = new Set<string>()
  // sovereign_* and prom-client's unprefixed process_*/nodejs_* defaults.
  for (const m of expr.matchAll(/\b(?:sovereign|process|nodejs)_[a-z0-9_]+/g)) {
    const raw = m[0]
    const base = raw.replace(/_(bucket|sum|count)$/, '')
    names.add(known.has(raw) ? raw : base !== raw && ['histogram', 'summary'].includes(known.get(base) ?? '') ? base : raw)
  }
  return [...names]
}
