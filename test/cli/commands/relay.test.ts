import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer, type AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'

import t from 'tap'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const SECRET = 'relay-log-secret-0123456789'

/** `sovereign relay …` from source; resolves each JSON record of stdout as it arrives. */
function relay(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'relay', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  const waiters: Array<() => void> = []
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); for (const w of waiters.splice(0)) w() })
  child.stderr.on('data', (d: Buffer) => { err += d.toString() })
  child.once('exit', () => { for (const w of waiters.splice(0)) w() })
  const records = (): Array<Record<string, unknown>> => out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)
  const record = (event: string): Promise<Record<string, unknown>> => new Promise((resolve, reject) => {
    const check = (): void => {
      const r = records().find((x) => x['event'] === event)
      if (r) return resolve(r)
      if (child.exitCode !== null || child.signalCode !== null) return reject(new Error(`exited before a ${event} record: ${out}${err}`))
      waiters.push(check)
    }
    check()
  })
  return { child, record, records, output: () => out + err }
}

t.test('the standalone relay writes its start-up and shutdown as JSON records, and never its secret', async (t) => {
  const r = relay(['--listen', '127.0.0.1:0', '--secret', SECRET, '--allow-peers', '127.0.0.0/8', '--metrics', '127.0.0.1:0'])
  t.teardown(() => { if (r.child.exitCode === null) r.child.kill('SIGKILL') })
  const listening = await r.record('listening')
  t.match(listening, { name: 'relay', level: 30, listening: [/^udp:\/\/127\.0\.0\.1:\d+$/, /^tcp:\/\/127\.0\.0\.1:\d+$/], nodeVersion: process.versions.node, version: /^\d+\.\d+\.\d+/, msg: /^listening on udp:\/\// })
  t.match(await r.record('mode'), { mode: 'standalone' })
  t.match(await r.record('auth'), { realm: 'sovereign', secretCount: 1, allowPeers: ['127.0.0.0/8'] })
  const metrics = await r.record('metrics')
  t.equal((await fetch(String(metrics['healthUrl']))).status, 200, 'the metrics record names a working health URL')
  r.child.kill('SIGTERM')
  const [code] = await once(r.child, 'exit') as [number | null]
  t.equal(code, 0)
  t.match(r.records().map((x) => x['event']), ['listening', 'mode', 'auth', 'metrics', 'data-path', 'prewarm', 'draining', 'closed'])
  t.notMatch(r.output(), SECRET, 'the secret is in no record')
})

t.test('--log-level warn leaves the info records out; an unknown level is refused before anything starts', async (t) => {
  const port = await freePort()
  const quiet = relay(['--listen', '127.0.0.1:0', '--secret', SECRET, '--log-level', 'warn', '--metrics', `127.0.0.1:${port}`])
  t.teardown(() => { if (quiet.child.exitCode === null) quiet.child.kill('SIGKILL') })
  let healthy = false
  for (let i = 0; i < 200 && !healthy && quiet.child.exitCode === null; i++) {
    healthy = (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.status === 200
    if (!healthy) await new Promise((r) => setTimeout(r, 50)) // polling a process's port: with info records off there is nothing to await on
  }
  t.ok(healthy, 'the quiet relay is up')
  quiet.child.kill('SIGHUP')
  t.match(await quiet.record('sighup'), { level: 40, msg: /SIGHUP ignored/ }, 'warnings still come through')
  quiet.child.kill('SIGTERM')
  await once(quiet.child, 'exit')
  t.same(quiet.records().filter((x) => Number(x['level']) < 40), [], 'no info record')

  const bad = relay(['--listen', '127.0.0.1:0', '--secret', SECRET, '--log-level', 'loud'])
  const [code] = await once(bad.child, 'exit') as [number | null]
  t.not(code, 0)
  t.match(bad.output(), /argument 'loud' is invalid\. Allowed choices are fatal, error, warn, info, debug, trace, silent/)
})

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}
