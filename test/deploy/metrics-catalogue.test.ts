import t from 'tap'

import { read, filesIn, yamlDocuments } from './support/deploy-files.js'
import { controlPlaneMetricTypes, metricNamesIn, relayMetricTypes } from './support/exported-metrics.js'

const exported = new Map<string, string>()
t.before(async () => {
  for (const [n, type] of await relayMetricTypes()) exported.set(n, type)
  for (const [n, type] of await controlPlaneMetricTypes()) exported.set(n, type)
})

/** `sovereign_…` names defined in the source (`name: '…'`), for metrics not yet wired into a process. */
function definedInSource(): Set<string> {
  const files = ['relay/metrics/relay-metrics.ts', 'relay/region/region-relay.ts', 'control-plane/plugins/metrics.ts', 'control-plane/signaling/signaling-metrics.ts', 'state/metrics.ts']
  const names = new Set<string>()
  for (const f of files) {
    let text: string
    try { text = read(f) } catch { continue }
    for (const m of text.matchAll(/name: '(sovereign_[a-z0-9_]+)'/g)) names.add(m[1]!)
    for (const m of text.matchAll(/name: `\$\{P\}([a-z0-9_]+)`/g)) names.add(`sovereign_relay_${m[1]!}`)
  }
  return names
}

/** Rows of the catalogue's tables: name and type, outside the "Not exported yet" section. */
function catalogueRows(): Array<{ name: string; type: string }> {
  const text = read('deploy/METRICS.md').split(/^## Not exported yet/m)[0]!
  return [...text.matchAll(/^\| `(sovereign_[a-z0-9_]+)` \| (\w+) \|/gm)].map((m) => ({ name: m[1]!, type: m[2]! }))
}

t.test('the live relay and control plane export the metrics the catalogue is about', async (t) => {
  for (const name of ['sovereign_relay_allocations', 'sovereign_relay_capacity', 'sovereign_relay_drain_requested', 'sovereign_relay_permission_denied_total', 'sovereign_relay_revocation_latency_seconds', 'sovereign_relay_state_up', 'sovereign_cp_refusals_total', 'sovereign_cp_state_up', 'sovereign_cp_fleet_relays', 'sovereign_cp_relay_selection_duration_seconds', 'sovereign_cp_relay_drain_requests_total']) {
    t.ok(exported.has(name), name)
  }
})

t.test('every metric in METRICS.md is registered by the code, with the documented type', async (t) => {
  const source = definedInSource()
  const rows = catalogueRows()
  t.ok(rows.length >= 30, `the catalogue has its tables (${rows.length} rows)`)
  for (const { name, type } of rows) {
    if (exported.has(name)) t.equal(exported.get(name), type, `${name} is a ${type}`)
    else t.ok(source.has(name), `${name} is defined in the source`)
  }
})

t.test('every metric a relay or control plane exports is in METRICS.md', async (t) => {
  const documented = new Set(catalogueRows().map((r) => r.name))
  for (const name of exported.keys()) {
    if (/^(process|nodejs)_/.test(name)) continue // prom-client's default metrics, documented as a family
    t.ok(documented.has(name), `${name} is documented`)
  }
})

t.test('default process metrics are unprefixed, as the standard Node.js dashboards query them', async (t) => {
  for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_heap_size_used_bytes']) {
    t.ok(exported.has(name), `${name} is exported`)
  }
  t.same([...exported.keys()].filter((n) => /^sovereign_(relay|cp)_(process|nodejs)_/.test(n)), [], 'none carries the product prefix')
})

t.test('running totals are counters named _total, not gauges', async (t) => {
  for (const name of ['sovereign_relay_tcp_closed_for_garbage_total', 'sovereign_relay_tls_handshake_failures_total', 'sovereign_relay_audit_dropped_total']) {
    t.equal(exported.get(name), 'counter', `${name} is a counter`)
  }
  const gaugesNamedLikeCounters = [...exported].filter(([n, type]) => n.startsWith('sovereign_') && n.endsWith('_total') && type !== 'counter')
  t.same(gaugesNamedLikeCounters, [], 'every sovereign _total is a counter (prom-client names some default gauges _total)')
})

t.test('the name extraction sees histogram series and catches names nobody exports', async (t) => {
  t.same(metricNamesIn('histogram_quantile(0.99, rate(sovereign_relay_revocation_latency_seconds_bucket[5m]))', exported), ['sovereign_relay_revocation_latency_seconds'])
  const bogus = metricNamesIn('rate(sovereign_relay_selection_seconds_count[5m])', exported)
  t.same(bogus, ['sovereign_relay_selection_seconds_count'])
  t.notOk(exported.has(bogus[0]!), 'an invented metric is not taken for an exported one')
})

t.test('alert rules use only metrics the code exports', async (t) => {
  for (const file of filesIn('prometheus', ['.rules.yml'])) {
    const [doc] = yamlDocuments(file) as Array<{ groups: Array<{ rules: Array<{ alert?: string; expr: string }> }> }>
    for (const rule of doc!.groups.flatMap((g) => g.rules)) {
      const names = metricNamesIn(rule.expr, exported)
      t.ok(names.length > 0 || /\bup\{job="sovereign-/.test(rule.expr), `${rule.alert} reads a sovereign metric or the scrape health of a sovereign job`)
      for (const n of names) t.ok(exported.has(n), `${rule.alert}: ${n} is exported`)
    }
  }
})

t.test('Grafana panels use only metrics the code exports', async (t) => {
  const files = filesIn('grafana', ['.json'])
  for (const file of files) {
    const exprs = [...read(file).matchAll(/"expr":\s*"((?:[^"\\]|\\.)*)"/g)].map((m) => JSON.parse(`"${m[1]!}"`) as string)
    t.ok(exprs.length > 0, `${file} has queries`)
    for (const expr of exprs) {
      for (const n of metricNamesIn(expr, exported)) t.ok(exported.has(n), `${file}: ${n} is exported`)
    }
  }
})

t.test('the metrics METRICS.md lists as not exported yet are indeed absent (update the catalogue when they land)', async (t) => {
  const missing = read('deploy/METRICS.md').split(/^## Not exported yet/m)[1]!
  const names = [...missing.matchAll(/^- \*\*[^*]+\*\* \((?:e\.g\. )?`(sovereign_[a-z0-9_]+)/gm)].map((m) => m[1]!)
  t.ok(names.length >= 1, names.join(', '))
  for (const n of names) t.notOk(exported.has(n), `${n} is not exported yet`)
})
