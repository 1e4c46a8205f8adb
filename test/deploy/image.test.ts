/**
 * deploy/image without building it (npm run image:check runs the built image): the
 * Dockerfile's promises that the manifests and the scripts rely on, and the HEALTHCHECK
 * script run for real against a loopback server.
 */
import { execFile } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { createServer } from 'node:http'
import { join } from 'node:path'
import { promisify } from 'node:util'

import t from 'tap'

import { freePort } from '../support/free-port.js'
import { ROOT, read } from './support/deploy-files.js'
import { renderOverlay } from './support/kustomize.js'

const run = promisify(execFile)
const dockerfile = read('deploy/image/Dockerfile')
/** Instructions of the final (runtime) stage. */
const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '))
const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> }

t.test('the base image is a build argument, and both stages start from it', async (t) => {
  t.match(dockerfile, /^ARG BASE_IMAGE=\S+$/m)
  const froms = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1])
  t.same(froms, ['${BASE_IMAGE}', '${BASE_IMAGE}'], 'build and runtime stages')
})

t.test('the runtime stage runs sovereign as the non-root user the manifests expect, with a HEALTHCHECK and OCI labels', async (t) => {
  t.match(runtime, /^ENTRYPOINT \["sovereign"\]$/m, 'relay, control-plane and start are its commands')
  const user = /^USER (\d+):(\d+)$/m.exec(runtime)
  t.ok(user && user[1] !== '0' && user[2] !== '0', `USER ${user?.[1]}:${user?.[2]} is numeric and not root`)
  const eu = renderOverlay('eu-central')
  for (const name of ['sovereign-relay', 'sovereign-control-plane']) {
    const sc = eu.deployment(name).spec.template.spec.securityContext
    t.equal(String(sc.runAsUser), user?.[1], `${name} runs as the image's user`)
    t.equal(String(sc.runAsGroup), user?.[2], `${name} runs as the image's group`)
  }
  t.match(runtime, /^HEALTHCHECK .*CMD \["node", "\/app\/healthcheck\.mjs"\]$/m)
  for (const label of ['version', 'source', 'licenses']) t.match(runtime, new RegExp(`org\\.opencontainers\\.image\\.${label}=`), `label ${label}`)
  t.match(runtime, /org\.opencontainers\.image\.licenses="Apache-2\.0"/, 'the licence is the package\'s')
})

t.test('what the runtime reads from disk is copied into the image', async (t) => {
  // Files the built code opens next to itself (state/scripts.ts, deploy/local, relay/native).
  for (const path of ['state/scripts', 'deploy/examples', 'binding.gyp', 'dist', 'node_modules', 'package.json', 'deploy/image/healthcheck.mjs']) {
    t.ok(dockerfile.includes(path), `${path} goes into /app`)
    t.ok(existsSync(join(ROOT, path.replace(/^(dist|node_modules)$/, 'package.json'))), `${path} exists in the repository`)
  }
  const ignore = read('.dockerignore').split('\n').map((l) => l.trim())
  for (const local of ['node_modules', 'dist', 'build', '.git']) t.ok(ignore.includes(local), `.dockerignore keeps the local ${local} out of the build`)
})

t.test('npm run image:build and image:check name scripts that exist', async (t) => {
  t.equal(pkg.scripts['image:build'], 'bash deploy/image/build.sh')
  t.match(pkg.scripts['image:check'], /deploy\/image\/image-check\.ts$/)
  for (const f of ['deploy/image/build.sh', 'deploy/image/base-image.sh', 'deploy/image/image-check.ts']) t.ok(existsSync(join(ROOT, f)), f)
  await t.resolves(run('bash', ['-n', join(ROOT, 'deploy/image/build.sh')]), 'build.sh parses')
  await t.resolves(run('bash', ['-n', join(ROOT, 'deploy/image/base-image.sh')]), 'base-image.sh parses')
})

t.test('the HEALTHCHECK script passes on 2xx and fails on an error status or no answer', async (t) => {
  let status = 200
  const server = createServer((_req, res) => { res.statusCode = status; res.end() })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => server.close())
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/healthz`
  const health = (u: string) => run(process.execPath, [join(ROOT, 'deploy/image/healthcheck.mjs')], { env: { ...process.env, SOVEREIGN_HEALTH_URL: u } })
  await t.resolves(health(url), 'healthy on 200')
  status = 503
  await t.rejects(health(url), { code: 1 }, 'unhealthy on 503')
  await t.rejects(health(`http://127.0.0.1:${await freePort()}/healthz`), { code: 1 }, 'unhealthy when nothing answers')
})
