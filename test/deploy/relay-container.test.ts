/**
 * The relay container's command line, run for real: the args of the eu-central overlay's
 * rendered relay Deployment with the downward-API variables filled for loopback
 * (HOST_IP=127.0.0.1), the region from the overlay's ConfigMap, ports moved to free ones,
 * the ConfigMap's network config as the file and the Secret's variables as fake values
 * (the Redis URL pointing at the test Redis under a unique --state-prefix).
 * It must join the region, answer /healthz and /readyz, and drain on SIGTERM.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import t from 'tap'

import { freePort } from '../support/free-port.js'
import { ROOT, yamlDocuments } from './support/deploy-files.js'
import { renderOverlay } from './support/kustomize.js'

/* eslint-disable @typescript-eslint/no-explicit-any -- Kubernetes objects are read loosely here */
const overlay = renderOverlay('eu-central')
const container = overlay.deployment('sovereign-relay').spec.template.spec.containers[0]
const [secret] = yamlDocuments('deploy/kubernetes/secrets.example.yaml') as any[]


t.test('the relay container command joins its region, reports ready, and drains on SIGTERM', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sovereign-relay-container-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const configFile = join(dir, 'network.yaml')
  await writeFile(configFile, overlay.networkYaml!)
  const [turnPort, metricsPort] = [await freePort(), await freePort()]
  // DATA_THREADS as the kubelet fills it: the CPU limit in whole cores.
  const vars: Record<string, string> = { HOST_IP: '127.0.0.1', NODE_NAME: 'test-node-1', SOVEREIGN_REGION: overlay.region!, DATA_THREADS: String(container.resources.limits.cpu) }
  const args = (container.args as string[]).map((a) => a
    .replace(/\$\((\w+)\)/g, (_, n: string) => vars[n] ?? `<unset ${n}>`)
    .replace(/^\/etc\/sovereign\/network\.yaml$/, configFile)
    .replace(/:3478$/, `:${turnPort}`)
    .replace(/^0\.0\.0\.0:9100$/, `127.0.0.1:${metricsPort}`))
  t.notMatch(args.join(' '), /<unset|0\.0\.0\.0/, 'loopback only, every variable filled')
  const prefix = `t-deploy-${randomBytes(4).toString('hex')}`
  const env: Record<string, string> = { ...process.env as Record<string, string> }
  for (const name of Object.keys(secret.stringData)) env[name] = name.endsWith('REDIS_URL') ? 'redis://127.0.0.1:6379' : `fake-${name.toLowerCase()}-value`
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'cli/main.ts'), ...args, '--state-prefix', prefix], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (b: Buffer) => { output += b.toString() })
  child.stderr.on('data', (b: Buffer) => { output += b.toString() })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })

  await new Promise<void>((resolve, reject) => {
    const check = () => { if (output.includes('joined region eu-central')) resolve() }
    child.stdout.on('data', check)
    void exited.then((code) => reject(new Error(`relay exited (${code}): ${output}`)))
  })
  const base = `http://127.0.0.1:${metricsPort}`
  t.equal((await fetch(`${base}/healthz`)).status, 200, '/healthz')
  t.equal((await fetch(`${base}/readyz`)).status, 200, '/readyz while accepting')
  t.match(await (await fetch(`${base}/metrics`)).text(), /sovereign_relay_state_up 1/, 'connected to the region Redis')
  // Where the native engine is built (it is in the image), it runs one thread per core of the CPU limit.
  const dataPath = /"event":"data-path","dataPath":"(\w+)","dataThreads":(\d+)/.exec(output)
  t.ok(dataPath, 'the relay logs which data path runs (event data-path)')
  if (dataPath?.[1] === 'native') t.equal(dataPath[2], vars.DATA_THREADS, 'native data threads = the CPU limit')
  child.kill('SIGTERM')
  t.equal(await exited, 0, `exits cleanly after draining (no allocations to wait for): ${output}`)
  t.match(output, /SIGTERM: draining/)
})
