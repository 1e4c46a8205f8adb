import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

import t from 'tap'
import { stringify } from 'yaml'

import { filesIn, read } from './support/deploy-files.js'

/* eslint-disable @typescript-eslint/no-explicit-any -- dashboard JSON is read loosely */
const run = promisify(execFile)
const PROMTOOL = '/usr/bin/promtool'
const files = filesIn('grafana', ['.json'])
const dashboards = files.map((file) => ({ file, d: JSON.parse(read(file)) as any }))

t.test('there are the fleet overview, residency and per-region traffic dashboards', async (t) => {
  t.same(dashboards.map(({ d }) => d.uid).sort(), ['sovereign-fleet', 'sovereign-residency', 'sovereign-traffic'])
})

for (const { file, d } of dashboards) {
  t.test(`${file} is a Grafana dashboard model on a Prometheus datasource variable`, async (t) => {
    t.type(d.title, 'string')
    t.ok(d.schemaVersion >= 36, 'schemaVersion')
    t.equal(d.id, undefined, 'no instance id (import assigns one)')
    const vars: any[] = d.templating.list
    const ds = vars.find((v) => v.type === 'datasource')
    t.equal(ds?.query, 'prometheus', 'a Prometheus datasource variable')
    const region = vars.find((v) => v.name === 'region')
    t.equal(region?.datasource?.uid, `\${${ds.name}}`, 'the region variable queries it')
    const panels: any[] = d.panels
    t.equal(new Set(panels.map((p) => p.id)).size, panels.length, 'panel ids are unique')
    const queried = panels.filter((p) => p.type !== 'row')
    t.ok(queried.length >= 6, `${queried.length} panels`)
    for (const p of queried) {
      t.equal(p.datasource?.uid, `\${${ds.name}}`, `${p.title}: uses the datasource variable`)
      t.ok(p.targets.length > 0, `${p.title}: has queries`)
      for (const target of p.targets) {
        t.equal(target.datasource?.uid, `\${${ds.name}}`)
        t.match(target.expr, /region=~"\$region"/, `${p.title}: filtered by the region variable`)
      }
      const g = p.gridPos
      t.ok(g.x >= 0 && g.w > 0 && g.x + g.w <= 24 && g.h > 0, `${p.title}: fits the 24-column grid`)
    }
  })
}

t.test('every panel query is valid PromQL (promtool checks them as recording rules)', { skip: existsSync(PROMTOOL) ? false : `${PROMTOOL} is absent` }, async (t) => {
  const exprs = dashboards.flatMap(({ d }) => d.panels.flatMap((p: any) => (p.targets ?? []).map((x: any) => String(x.expr))))
  const rules = exprs.map((e, i) => ({ record: `sovereign:dashboard_query_${i}`, expr: e.replaceAll('$region', '.*').replaceAll('$__range', '1h') }))
  const dir = await mkdtemp(join(tmpdir(), 'sovereign-grafana-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'queries.rules.yml')
  await writeFile(file, stringify({ groups: [{ name: 'dashboard-queries', rules }] }))
  const { stdout } = await run(PROMTOOL, ['check', 'rules', file])
  t.match(stdout, new RegExp(`SUCCESS: ${rules.length} rules found`))
})
