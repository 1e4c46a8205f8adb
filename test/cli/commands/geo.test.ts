import t from 'tap'
import { Command } from 'commander'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'

import { registerGeo } from '../../../cli/commands/geo.js'

async function run(args: string[]): Promise<{ out: string; err: string }> {
  let out = ''
  let err = ''
  const program = new Command('sovereign').exitOverride()
  registerGeo(program, { out: (s) => (out += s), err: (s) => (err += s) })
  await program.parseAsync(['node', 'sovereign', ...args])
  return { out, err }
}

t.test('geo lookup prints country, source and jurisdictions as a table', async (t) => {
  const { out } = await run(['geo', 'lookup', '8.8.8.8', '::ffff:46.4.0.1', '10.0.0.1', 'bogus'])
  const lines = out.trim().split('\n')
  t.match(lines[0], /^ADDRESS\s+COUNTRY\s+SOURCE\s+JURISDICTIONS$/)
  t.match(lines[1], /^8\.8\.8\.8\s+US United States\s+database\s+US$/)
  t.match(lines[2], /^::ffff:46\.4\.0\.1\s+DE Germany\s+database\s+DE, EU, EEA$/)
  t.match(lines[3], /^10\.0\.0\.1\s+-\s+reserved\s+-$/)
  t.match(lines[4], /^bogus\s+-\s+unknown\s+-$/)
})

t.test('geo lookup --json gives one object per address', async (t) => {
  const { out } = await run(['geo', 'lookup', '--json', '2a01:4f8::1'])
  t.match(JSON.parse(out), [{ ip: '2a01:4f8::1', country: 'DE', name: 'Germany', source: 'database', jurisdictions: ['DE', 'EU', 'EEA'], location: { lat: Number, lon: Number } }])
})

t.test('geo lookup --config applies the config overrides and operator jurisdictions', async (t) => {
  const { out } = await run(['geo', 'lookup', '--json', '--config', 'deploy/examples/local-network.yaml', '127.1.0.9', '127.0.0.1'])
  t.match(JSON.parse(out), [
    { ip: '127.1.0.9', country: 'DE', source: 'override', jurisdictions: ['DE', 'EU', 'EEA', 'DACH'], override: { cidr: '127.1.0.0/16' } },
    { ip: '127.0.0.1', country: null, source: 'reserved', jurisdictions: [] },
  ])
})

t.test('the table names the override that decided', async (t) => {
  const { out } = await run(['geo', 'lookup', '--config', 'deploy/examples/local-network.yaml', '127.3.0.1'])
  t.match(out.trim().split('\n')[1], /^127\.3\.0\.1\s+IN India\s+override 127\.3\.0\.0\/16\s+IN$/)
})

t.test('geo lookup --database refuses a broken file', async (t) => {
  const dir = t.testdir()
  writeFileSync(join(dir, 'bad.mmdb'), 'not a database')
  await t.rejects(run(['geo', 'lookup', '--database', join(dir, 'bad.mmdb'), '8.8.8.8']), { code: 'GEO_DATABASE_INVALID' })
})
