import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'

import t from 'tap'

import { DEPLOY, filesIn, yamlDocuments } from './support/deploy-files.js'

const run = promisify(execFile)
const PROMTOOL = '/usr/bin/promtool'
const skip = existsSync(PROMTOOL) ? false : `${PROMTOOL} is absent (Debian package prometheus)`
const cwd = join(DEPLOY, 'prometheus')

t.test('every file of deploy/prometheus parses as YAML', async (t) => {
  const files = filesIn('prometheus', ['.yml', '.yaml'])
  t.ok(files.length >= 4, `${files.length} files`)
  for (const f of files) t.doesNotThrow(() => yamlDocuments(f), f)
})

t.test('the alert rules cover the five alerts the issue asks for', async (t) => {
  const [doc] = yamlDocuments('deploy/prometheus/sovereign.rules.yml') as Array<{ groups: Array<{ rules: Array<{ alert: string; labels?: { severity?: string } }> }> }>
  const alerts = doc!.groups.flatMap((g) => g.rules)
  const names = alerts.map((r) => r.alert)
  for (const a of ['SovereignRelayDown', 'SovereignRegionWithoutCapacity', 'SovereignRelayResidencyRefusalsSpiking', 'SovereignRevocationLatencyHigh', 'SovereignRedisDownForRelay', 'SovereignRedisDownForControlPlane', 'SovereignStateLost']) {
    t.ok(names.includes(a), a)
  }
  for (const r of alerts) t.match(r.labels?.severity, /^(page|warn)$/, `${r.alert} has a severity`)
})

t.test('promtool accepts the rules', { skip }, async (t) => {
  const { stdout } = await run(PROMTOOL, ['check', 'rules', ...filesIn('prometheus', ['.rules.yml']).map((f) => join(DEPLOY, '..', f))])
  t.match(stdout, /SUCCESS: \d+ rules found/)
})

t.test('the alerts fire as their promtool unit tests expect', { skip }, async (t) => {
  const tests = filesIn('prometheus/tests', ['.yml']).map((f) => join(DEPLOY, '..', f))
  t.ok(tests.length > 0)
  const { stdout } = await run(PROMTOOL, ['test', 'rules', ...tests], { cwd })
  t.match(stdout, /SUCCESS/)
})

t.test('promtool accepts the example scrape config', { skip }, async (t) => {
  const { stdout } = await run(PROMTOOL, ['check', 'config', 'prometheus.yml'], { cwd })
  t.match(stdout, /prometheus\.yml is valid/)
})

t.test('promtool reports a broken rule (the check is not vacuous)', { skip }, async (t) => {
  const { mkdtemp, writeFile, rm } = await import('node:fs/promises')
  const { tmpdir } = await import('node:os')
  const dir = await mkdtemp(join(tmpdir(), 'sovereign-rules-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await writeFile(join(dir, 'bad.rules.yml'), 'groups:\n  - name: x\n    rules:\n      - alert: Broken\n        expr: rate(sovereign_relay_allocations[5m]\n')
  await t.rejects(run(PROMTOOL, ['check', 'rules', join(dir, 'bad.rules.yml')]))
})
