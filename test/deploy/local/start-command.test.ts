import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import t from 'tap'
import { parseDocument } from 'yaml'

import { defaultConfigPath } from '../../../deploy/local/local-network.js'

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
