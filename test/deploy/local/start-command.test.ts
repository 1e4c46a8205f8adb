import { execFile, spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import t, { type Test } from 'tap'
import { Redis } from 'ioredis'
import { parseDocument } from 'yaml'

import { defaultConfigPath } from '../../../deploy/local/local-network.js'
import { redisAnswers } from '../../../deploy/local/redis-probe.js'

const main = fileURLToPath(new URL('../../../cli/main.ts', import.meta.url))

t.test('sovereign start on a port in use prints one line and exits 1', async (t) => {
  const blocker = createServer()
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => blocker.close(() => resolve())))
  const port = (blocker.address() as AddressInfo).port
  const dir = await mkdtemp(join(tmpdir(), 'sovereign-start-test-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const doc = parseDocument(await readFile(defaultConfigPath(), 'utf8'))
  doc.setIn(['regions', 0, 'controlPlane', 'listen'], `127.0.0.1:${port}`)
  const configPath = join(dir, 'taken.yaml')
  await writeFile(configPath, String(doc))

  const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = execFile(process.execPath, ['--import=tsx', main, 'start', '--config', configPath, '--memory'], { timeout: 60_000 }, (_err, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr }))
  })
  t.equal(result.code, 1, 'exit code 1')
  const lines = result.stderr.split('\n').filter((l) => l.startsWith('sovereign start:'))
  t.same(lines, [`sovereign start: 127.0.0.1:${port} is already in use — is another local network (or the old standalone relay) running? Stop it, or free the port`], 'one line naming the port')
  t.notMatch(result.stderr, /\n\s+at /, 'no stack trace')
  t.notMatch(result.stdout, /Try it/, 'no banner')
})

const DEMO_KEY = 'sk_test_demo_tenant_local_network_only_not_secret00'

/** The example config with every listener on port 0, so the test runs beside anything else. */
async function zeroPortConfig(dir: string): Promise<string> {
  const doc = parseDocument(await readFile(defaultConfigPath(), 'utf8'))
  const regions = doc.getIn(['regions']) as { items: { getIn(path: string[]): { items: unknown[] } }[] }
  regions.items.forEach((region, i) => {
    doc.setIn(['regions', i, 'controlPlane', 'listen'], '127.0.0.1:0')
    region.getIn(['relays']).items.forEach((_relay, j) => {
      const host = `127.${i + 1}.0.${j + 1}`
      doc.setIn(['regions', i, 'relays', j, 'listen'], [`${host}:0`])
      doc.setIn(['regions', i, 'relays', j, 'metrics'], `${host}:0`)
    })
  })
  const path = join(dir, 'zero-ports.yaml')
  await writeFile(path, String(doc))
  return path
}

/** Runs `sovereign start` until its banner, creates a meeting (so the run writes meeting keys), then Ctrl-C. */
async function startCreateAndInterrupt(t: Test, args: string[]): Promise<{ code: number | null; stdout: string }> {
  const child = spawn(process.execPath, ['--import=tsx', main, 'start', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  let stdout = ''
  child.stderr.resume()
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      if (stdout.includes('Ctrl-C stops everything.')) resolve()
    })
    void exited.then(() => reject(new Error(`sovereign start exited before its banner:\n${stdout}`)))
  })
  const controlPlane = /control plane\s+(http:\/\/\S+)/.exec(stdout)![1]!
  const res = await fetch(`${controlPlane}/v1/meetings`, { method: 'POST', headers: { authorization: `Bearer ${DEMO_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ region: 'eu-central', title: 'prefix' }) })
  t.equal(res.status, 201, 'the run creates a meeting')
  child.kill('SIGINT')
  return { code: await exited, stdout }
}

async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const found: string[] = []
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500)
    cursor = next
    found.push(...keys)
  } while (cursor !== '0')
  return found
}

const redisUp = await redisAnswers('redis://127.0.0.1:6379/0')

t.test('sovereign start --prefix P deletes the keys under P at exit, as its banner says', { skip: redisUp ? false : 'no Redis at 127.0.0.1:6379' }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sovereign-start-prefix-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const redis = new Redis('redis://127.0.0.1:6379/0')
  t.teardown(() => redis.quit())
  const prefix = `tstart${process.pid}${Date.now().toString(36)}`
  const run = await startCreateAndInterrupt(t, ['--config', await zeroPortConfig(dir), '--prefix', prefix])
  t.match(run.stdout, `key prefix "${prefix}" (deleted at exit)`, 'the banner promises the deletion')
  t.equal(run.code, 0, 'Ctrl-C closes the network cleanly')
  t.same(await keysUnder(redis, prefix), [], 'no key is left under the prefix')
})
