/**
 * The control-plane container's command line, run for real: the args of the eu-central
 * overlay's rendered control-plane Deployment with POD_NAME and the region filled, the
 * listen address moved to a free loopback port, the ConfigMap's network config as the file and the Secret's
 * variables as fake values (a real report key; the Redis URL at the test Redis). The
 * probes' paths must answer, and SIGTERM must end it cleanly.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import t from 'tap'

import { generateReportKeyPair } from '../../control-plane/report/report-signature.js'
import { freePort } from '../support/free-port.js'
import { ROOT, yamlDocuments } from './support/deploy-files.js'
import { renderOverlay } from './support/kustomize.js'

/* eslint-disable @typescript-eslint/no-explicit-any -- Kubernetes objects are read loosely here */
const overlay = renderOverlay('eu-central')
const container = overlay.deployment('sovereign-control-plane').spec.template.spec.containers[0]
const [secret] = yamlDocuments('deploy/kubernetes/secrets.example.yaml') as any[]


t.test('the control-plane container command serves its probes and stops on SIGTERM', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sovereign-cp-container-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const configFile = join(dir, 'network.yaml')
  await writeFile(configFile, overlay.networkYaml!)
  const port = await freePort()
  const metricsPort = await freePort()
  const args = (container.args as string[]).map((a) => a
    .replace('$(POD_NAME)', 'sovereign-control-plane-test')
    .replace('$(SOVEREIGN_REGION)', overlay.region!)
    .replace(/^\/etc\/sovereign\/network\.yaml$/, configFile)
    .replace(/^0\.0\.0\.0:8080$/, `127.0.0.1:${port}`)
    .replace(/^0\.0\.0\.0:9090$/, `127.0.0.1:${metricsPort}`))
  t.notMatch(args.join(' '), /\$\(|0\.0\.0\.0/, 'loopback only, every variable filled')
  const env: Record<string, string> = { ...process.env as Record<string, string> }
  for (const name of Object.keys(secret.stringData)) {
    env[name] = name.endsWith('REDIS_URL') ? 'redis://127.0.0.1:6379' : name.endsWith('REPORT_KEY') ? generateReportKeyPair().privateKeyPem : `fake-${name.toLowerCase()}-value`
  }
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'cli/main.ts'), ...args, '--log-level', 'warn'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (b: Buffer) => { output += b.toString() })
  child.stderr.on('data', (b: Buffer) => { output += b.toString() })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })

  const base = `http://127.0.0.1:${port}`
  const probe = container
  let ready: Response | undefined
  for (let i = 0; i < 200 && child.exitCode === null; i++) {
    ready = await fetch(`${base}${probe.readinessProbe.httpGet.path}`).catch(() => undefined)
    if (ready?.status === 200) break
    await new Promise((r) => setTimeout(r, 50)) // polling a process's port: nothing to await on
  }
  t.equal(ready?.status, 200, `readiness ${probe.readinessProbe.httpGet.path} answers 200: ${output}`)
  t.equal((await fetch(`${base}${probe.livenessProbe.httpGet.path}`)).status, 200, `liveness ${probe.livenessProbe.httpGet.path}`)
  t.match(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text(), /sovereign_cp_state_up\{connection="command"\} 1/, 'Prometheus scrapes the metrics listener without a key')
  t.equal((await fetch(`${base}/metrics`)).status, 401, 'the API port keeps /metrics to operators')
  child.kill('SIGTERM')
  t.equal(await exited, 0, `exits cleanly: ${output}`)
})
