import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

import { Command } from 'commander'
import t, { type Test } from 'tap'

import { registerReport } from '../../../cli/commands/report.js'
import { buildResidencyReport } from '../../../control-plane/report/residency-report.js'
import { serializeSignedReport, signReport } from '../../../control-plane/report/report-signature.js'
import { meeting, T0, trail } from '../../control-plane/report/fixtures/audit-trail.js'

const run = promisify(execFile)
const MAIN = new URL('../../../cli/main.ts', import.meta.url).pathname

/** Runs `sovereign report ...` in-process with captured output and exit code. */
async function report(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  let code = 0
  const program = new Command('sovereign').exitOverride()
  registerReport(program, { out: { write: (s: string) => { out += s } }, err: { write: (s: string) => { err += s } }, setExitCode: (c) => { code = c } })
  await program.parseAsync(['report', ...args], { from: 'user' })
  return { code, out, err }
}

async function fixture(t: Test) {
  const dir = await mkdtemp(join(tmpdir(), 'sovereign-report-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const keygen = await report('keygen', '--out', join(dir, 'eu-west'))
  const built = buildResidencyReport({ meeting, entries: trail, generatedAt: T0, generatedBy: { region: 'eu-west', node: 'cp-eu-1' } })
  const signed = signReport(built, await readFile(join(dir, 'eu-west.key'), 'utf8'))
  await writeFile(join(dir, 'report.json'), serializeSignedReport(signed))
  const tampered = JSON.parse(serializeSignedReport(signed)) as { report: { participants: { admitted: number } } }
  tampered.report.participants.admitted = 1
  await writeFile(join(dir, 'tampered.json'), JSON.stringify(tampered))
  return { dir, keygen, pub: join(dir, 'eu-west.pub') }
}


t.test('report keygen writes a private key only its owner can read, and names the key id', async (t) => {
  const { dir, keygen } = await fixture(t)
  t.equal(keygen.code, 0)
  t.match(keygen.out, /keyId [0-9a-f]{64}/)
  const { stat } = await import('node:fs/promises')
  t.equal((await stat(join(dir, 'eu-west.key'))).mode & 0o777, 0o600)
  t.match(await readFile(join(dir, 'eu-west.pub'), 'utf8'), /BEGIN PUBLIC KEY/)
})

t.test('report verify accepts the signed report and summarises it', async (t) => {
  const { dir, pub } = await fixture(t)
  const good = await report('verify', join(dir, 'report.json'), '--public-key', pub)
  t.equal(good.code, 0, good.err)
  t.match(good.out, /valid residency report, signed by key [0-9a-f]{64}/)
  t.match(good.out, /media regions: eu-west; signaling regions: eu-west; key regions: eu-west/)
  t.match(good.out, /no recorded decision left the allowed regions/)
})

t.test('report verify exits 1 with a clear message on a tampered report (in-process)', async (t) => {
  const { dir, pub } = await fixture(t)
  const bad = await report('verify', join(dir, 'tampered.json'), '--public-key', pub)
  t.equal(bad.code, 1)
  t.match(bad.err, /INVALID residency report .*tampered\.json: bad_signature/)
})

t.test('the sovereign binary exits 1 on a tampered report', async (t) => {
  const { dir, pub } = await fixture(t)
  const code = await run(process.execPath, ['--import=tsx', MAIN, 'report', 'verify', join(dir, 'tampered.json'), '--public-key', pub])
    .then(() => 0, (err: { code: number; stderr: string }) => {
      t.match(err.stderr, /bad_signature/)
      return err.code
    })
  t.equal(code, 1)
})
