/**
 * `sovereign config ...`. Exit codes are tested as an operator sees them, in a real
 * process (`node --import tsx cli/main.ts`); the other behaviours run the same command
 * definitions in-process, which is much cheaper than a process each.
 * (Lives with the config tests, which own cli/commands/config.ts.)
 */
import t from 'tap'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Command } from 'commander'

import { registerConfig } from '../../cli/commands/config.js'
import { hashApiKey } from '../../config/api-key.js'
import { baseDoc, toYaml } from './fixtures.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

async function sovereign(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const [code] = (await once(child, 'close')) as [number | null]
  return { code, stdout, stderr }
}

/** Runs `sovereign config <args>` in this process, capturing stdout and the exit code it sets. */
async function inProcess(args: string[]): Promise<{ code: number; stdout: string }> {
  const program = new Command('sovereign').exitOverride()
  registerConfig(program)
  let stdout = ''
  const write = process.stdout.write.bind(process.stdout)
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += chunk.toString()
    return true
  }) as typeof process.stdout.write
  const previousCode = process.exitCode
  try {
    await program.parseAsync(['config', ...args], { from: 'user' })
    return { code: Number(process.exitCode ?? 0), stdout }
  } finally {
    process.stdout.write = write
    process.exitCode = previousCode
  }
}

t.test('config check exits 0 with a summary for a valid file and 1 with every error for an invalid one', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sovereign-cli-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const doc = baseDoc()
  doc.tenants[1].allowedRegions = ['mars']
  doc.geo.overrides.push({ cidr: '::ffff:127.1.0.0/120', country: 'FR' })
  const file = join(dir, 'bad.yaml')
  await writeFile(file, toYaml(doc))

  const [good, bad] = await Promise.all([
    sovereign(['config', 'check', 'deploy/examples/local-network.yaml']),
    sovereign(['config', 'check', file], { US_RELAY_SECRET: 'x'.repeat(16), BETA_TOKEN_SECRET: 'y'.repeat(16) }),
  ])
  t.equal(good.code, 0)
  t.match(good.stdout, /^OK deploy\/examples\/local-network\.yaml/)
  t.match(good.stdout, 'regions: 3 (eu-central DE, us-east US, ap-south IN)')
  t.match(good.stdout, 'relays: 6')
  t.match(good.stdout, 'tenants: 2 (demo, eu-health)')

  t.equal(bad.code, 1)
  t.equal(bad.stdout, '')
  t.match(bad.stderr, '(3 errors)')
  t.match(bad.stderr, /tenants\[1\]\.allowedRegions\[0\] \(line \d+:\d+\): region "mars" does not exist/)
  t.match(bad.stderr, /tenants\[1\]\.defaultRegion .*not among the tenant's allowedRegions/)
  t.match(bad.stderr, /geo\.overrides\[3\]\.cidr .*overlaps 127\.1\.0\.0\/16/)
})

t.test('config check can check a production file on a machine without its secrets when told to', async (t) => {
  // Without the flag the missing variables are errors (test/config/examples.test.ts).
  const { code, stdout } = await inProcess(['check', '--allow-missing-env', join(ROOT, 'deploy/examples/production-region.yaml')])
  t.equal(code, 0)
  t.match(stdout, /not set here \(placeholders used\): .*TENANT_GLOBEX_TOKEN_SECRET/)
})

t.test('config check --print shows the loaded config with secrets redacted', async (t) => {
  const { code, stdout } = await inProcess(['check', '--print', join(ROOT, 'deploy/examples/local-network.yaml')])
  t.equal(code, 0)
  const json = JSON.parse(stdout.slice(stdout.indexOf('{'))) as { relay: { ports: { min: number } }; tenants: { tokenSecret: string }[] }
  t.equal(json.relay.ports.min, 49152, 'defaults applied')
  t.equal(json.tenants[0]?.tokenSecret, '[redacted]')
  t.notMatch(stdout, 'local-demo-token-secret-not-secret')
})

t.test('config hash-key prints the sha256 the config stores for a key', async (t) => {
  const key = 'sk_test_demo_tenant_local_network_only_not_secret00'
  const { code, stdout } = await inProcess(['hash-key', key])
  t.equal(code, 0)
  t.equal(stdout, `${hashApiKey(key)}\n`)
})

t.test('config new-key prints a fresh key and its hash', async (t) => {
  const { stdout } = await inProcess(['new-key', '--kind', 'admin'])
  const match = /^key: +(sk_admin_\S+)\nsha256: ([0-9a-f]{64})\n$/.exec(stdout)
  t.ok(match, stdout)
  t.equal(match?.[2], hashApiKey(match?.[1] ?? ''))
})
