import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { promisify } from 'node:util'

import t from 'tap'

import { parseConfig } from '../../config/load-config.js'
import { checkArgv } from './support/cli-commands.js'
import { filesIn, read } from './support/deploy-files.js'

const run = promisify(execFile)
const ANALYZE = '/usr/bin/systemd-analyze'
const skip = existsSync(ANALYZE) ? false : `${ANALYZE} is absent`
const units = filesIn('systemd', ['.service'])

/** key -> values of one section of a unit file (continuation lines are not used in ours). */
function section(text: string, name: string): Map<string, string[]> {
  const out = new Map<string, string[]>()
  let current = ''
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue
    const header = /^\[(.+)\]$/.exec(line)
    if (header) { current = header[1]!; continue }
    if (current !== name) continue
    const i = line.indexOf('=')
    out.set(line.slice(0, i), [...(out.get(line.slice(0, i)) ?? []), line.slice(i + 1)])
  }
  return out
}

function envFile(path: string): Record<string, string> {
  return Object.fromEntries(read(path).split('\n').filter((l) => /^[A-Z_][A-Z0-9_]*=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]))
}

const region = envFile('deploy/systemd/region.env.example')
const secrets = envFile('deploy/systemd/secrets.env.example')

t.test('there is a relay unit and a control-plane unit', async (t) => {
  t.same(units.map((u) => basename(u)).sort(), ['sovereign-control-plane.service', 'sovereign-relay@.service'])
})

for (const unit of units) {
  t.test(`${basename(unit)} runs a real command with real flags, restarts, reloads on SIGHUP and is hardened`, async (t) => {
    const service = section(read(unit), 'Service')
    const [exec] = service.get('ExecStart')!
    const [binary, ...argv] = exec!.split(/\s+/).map((a) => a.replace(/\$\{(\w+)\}/g, (_, n: string) => region[n] ?? `<unset ${n}>`))
    t.equal(binary, '/usr/bin/sovereign')
    t.same(checkArgv(argv), [], argv.join(' '))
    t.notMatch(argv.join(' '), /<unset/, 'every variable of ExecStart is set by region.env')
    // SIGHUP reloads only where the code handles it; elsewhere Node's default (exit) would drop the relay's allocations.
    const code = argv[0] === 'control-plane' ? read('control-plane/node.ts') : read(`cli/commands/${argv[0]}.ts`)
    const handlesHup = /'SIGHUP'|watchSighup\(/.test(code)
    if (handlesHup) t.same(service.get('ExecReload'), ['/bin/kill -HUP $MAINPID'], 'reloads with SIGHUP')
    else t.notOk(service.has('ExecReload'), `no ExecReload: ${argv[0]} does not handle SIGHUP`)
    t.same(service.get('Restart'), ['on-failure'])
    t.ok(Number(service.get('LimitNOFILE')?.[0]) >= 65536, 'LimitNOFILE is raised')
    for (const key of ['NoNewPrivileges', 'ProtectSystem', 'PrivateTmp', 'DynamicUser']) t.ok(service.has(key), key)
    t.same(service.get('AmbientCapabilities'), [''], 'no ambient capability')
    const envFiles = service.get('EnvironmentFile')!.map((f) => basename(f))
    t.same(envFiles, ['region.env', 'secrets.env'])
    for (const f of envFiles) t.ok(existsSync(`deploy/systemd/${f}.example`), `${f}.example documents it`)
    if (argv[0] === 'relay') {
      const grace = Number(argv[argv.indexOf('--grace') + 1])
      t.ok(parseInt(service.get('TimeoutStopSec')![0]!, 10) > grace, 'systemd waits longer than the drain grace before SIGKILL')
    }
  })
}

t.test('the secrets file and region file satisfy the example network config', async (t) => {
  const text = read('deploy/kubernetes/base/network.yaml')
  const config = parseConfig({ text, source: 'network.yaml' }, { env: secrets })
  t.ok(config.regionById(region.SOVEREIGN_REGION!), `region ${region.SOVEREIGN_REGION} is in the config`)
  t.throws(() => parseConfig({ text, source: 'network.yaml' }, { env: { EU_CENTRAL_REDIS_URL: secrets.EU_CENTRAL_REDIS_URL } }), { code: 'CONFIG_INVALID' }, 'a missing secret is refused')
  t.ok(Object.keys(secrets).length >= 4, 'the secrets file lists every secret')
})

t.test('systemd-analyze verify accepts the units without a warning', { skip }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sovereign-units-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  // The units name the installed CLI; verify resolves ExecStart, so point it at a stand-in.
  const stand = join(dir, 'sovereign')
  await writeFile(stand, '#!/bin/sh\nexit 0\n')
  await chmod(stand, 0o755)
  const names: string[] = []
  for (const u of units) {
    await writeFile(join(dir, basename(u)), read(u).replaceAll('/usr/bin/sovereign', stand))
    names.push(`./${basename(u).replace('@.service', '@eu-central-a.service')}`)
  }
  await writeFile(join(dir, 'broken.service'), '[Service]\nExecStart=/bin/true\nRestart=sometimes\n')
  const verify = (args: string[]) => run(ANALYZE, ['verify', '--man=no', ...args], { cwd: dir }).then((r) => r, (e: { stdout: string; stderr: string; code: number }) => e)
  const good = await verify(names)
  t.equal(good.stderr.trim(), '', 'no warnings')
  t.notOk('code' in good && good.code, 'exit 0')
  const bad = await verify(['./broken.service'])
  t.match(bad.stderr, /restart specifier/, 'a broken unit is reported (the check is not vacuous)')
})
