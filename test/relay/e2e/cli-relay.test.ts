import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'

import t from 'tap'

import { openRegionState } from '../../../state/region-state.js'
import { testNetworkYaml } from '../../support/test-network.js'
import { TurnClient, TurnError, echoPeer } from '../../support/turn-client.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const SECRET = 'cli-secret-0123456789'

function sovereign(args: string[]): { child: ChildProcess; line: (re: RegExp) => Promise<RegExpExecArray>; output: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  const waiters: Array<() => void> = []
  const onData = (d: Buffer): void => {
    out += d.toString()
    for (const w of waiters.splice(0)) w()
  }
  child.stdout!.on('data', onData)
  child.stderr!.on('data', onData)
  child.once('exit', () => {
    for (const w of waiters.splice(0)) w()
  })
  const line = (re: RegExp): Promise<RegExpExecArray> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const m = re.exec(out)
        if (m) return resolve(m)
        if (child.exitCode !== null) return reject(new Error(`exited before ${re}: ${out}`))
        waiters.push(check)
      }
      check()
    })
  return { child, line, output: () => out }
}

t.test('sovereign relay runs standalone (here as if behind 1:1 NAT), and on SIGTERM drains: new allocations 508, existing ones relay until gone, then it exits 0', async (t) => {
  const { child, line, output } = sovereign(['relay', '--listen', '127.0.0.1:0', '--secret', SECRET, '--allow-peers', '127.0.0.0/8', '--grace', '60', '--public-address', '127.0.0.78'])
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })
  const [, host, port] = await line(/listening on udp:\/\/([\d.]+):(\d+)/)
  t.ok(await line(/standalone — no residency policy/), 'says it applies no residency policy')
  const peer = await echoPeer('127.0.0.2')
  t.teardown(() => peer.close())
  const username = `${Math.floor(Date.now() / 1000) + 600}:standalone-user`
  const { createHmac } = await import('node:crypto')
  const password = createHmac('sha1', SECRET).update(username).digest('base64')
  const connect = async (): Promise<TurnClient> => {
    const c = await TurnClient.connect({ transport: 'udp', host: host!, port: Number(port), username, password })
    t.teardown(() => c.close())
    return c
  }
  t.ok(await line(/behind 1:1 NAT: advertising 127\.0\.0\.78/), 'says which public address it advertises')
  const old = await connect()
  t.equal((await old.allocate()).relayed.address, '127.0.0.78', '--public-address is the relayed address clients are told')
  await old.channelBind(0x4000, peer.address)

  child.kill('SIGTERM')
  await line(/draining/)
  const err = await (await connect()).allocate().catch((e: unknown) => e)
  t.ok(err instanceof TurnError && err.code === 508, 'a new allocation is refused while draining')
  old.sendChannelData(0x4000, Buffer.from('during grace'))
  t.equal((await old.nextData()).data.toString(), 'during grace', 'the existing allocation still relays')
  await old.refresh(0)
  const [code] = (await once(child, 'exit')) as [number]
  t.equal(code, 0, 'exits cleanly once the last allocation is gone, well before the grace period')
  t.match(output(), /closed/)
})

t.test('sovereign relay refuses region mode without all of --config, --region and --id', async (t) => {
  const { child, output } = sovereign(['relay', '--config', 'network.yaml', '--region', 'eu-west'])
  const [code] = (await once(child, 'exit')) as [number]
  t.equal(code, 2)
  t.match(output(), /region mode needs all of --config <file> --region <id> --id <relayId>/)
})

t.test('sovereign relay --config --region --id joins the region fleet and leaves it on SIGTERM', async (t) => {
  const prefix = `t-cli-${process.pid}-${Date.now().toString(36)}`
  const dir = mkdtempSync(join(tmpdir(), 'sr-cli-'))
  const file = join(dir, 'network.yaml')
  writeFileSync(file, testNetworkYaml([{ id: 'eu-central', country: 'DE', secret: SECRET, relays: ['eu-r9'] }]))
  const state = openRegionState({ region: 'eu-central', redis: { url: 'redis://127.0.0.1:6379' }, prefix })
  t.teardown(async () => {
    await state.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const { child, line } = sovereign(['relay', '--config', file, '--region', 'eu-central', '--id', 'eu-r9', '--grace', '1', '--state-prefix', prefix])
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })
  const m = await line(/eu-r9 joined region eu-central .* listening on udp:\/\/127\.0\.0\.1:(\d+)/)
  await state.ready()
  let live = await state.fleet.liveRelays()
  for (let i = 0; i < 50 && !live.some((r) => r.id === 'eu-r9'); i++) {
    await once(child.stdout!, 'data').catch(() => {})
    live = await state.fleet.liveRelays()
  }
  const me = live.find((r) => r.id === 'eu-r9')
  t.ok(me, 'registered in the live set of its region')
  t.same(me?.udp, [`127.0.0.1:${m[1]}`], 'with the address it listens on')
  // Rotation by overlap on SIGHUP: a new secret first, the old one kept.
  writeFileSync(file, testNetworkYaml([{ id: 'eu-central', country: 'DE', secret: SECRET, relays: ['eu-r9'] }], {}, undefined, ['rotated-secret-000001', SECRET]))
  child.kill('SIGHUP')
  await line(/SIGHUP: config reloaded, 2 relay secret\(s\) in force/)
  writeFileSync(file, 'version: 1\nregions: nonsense\n')
  child.kill('SIGHUP')
  await line(/SIGHUP: reload refused, the running config stays/)
  t.equal(child.exitCode, null, 'a SIGHUP neither kills the relay nor takes a broken file')
  child.kill('SIGTERM')
  const [code] = (await once(child, 'exit')) as [number]
  t.equal(code, 0)
  t.notOk((await state.fleet.liveRelays()).some((r) => r.id === 'eu-r9'), 'deregistered on a clean stop')
})

t.test('sovereign relay says which data path runs: --data-path native with --data-threads, --data-path ts; both relay and exit cleanly', async (t) => {
  const { loadEngine } = await import('../../../relay/native/index.js')
  const paths = loadEngine().ok ? [['native', '3'], ['ts', '1']] : [['ts', '1']]
  for (const [path, threads] of paths) {
    const { child, line } = sovereign(['relay', '--listen', '127.0.0.1:0', '--secret', SECRET, '--allow-peers', '127.0.0.0/8', '--grace', '0', '--data-path', path!, '--data-threads', threads!])
    t.teardown(() => {
      if (child.exitCode === null) child.kill('SIGKILL')
    })
    const [, host, port] = await line(/listening on udp:\/\/([\d.]+):(\d+)/)
    t.ok(await line(path === 'native' ? /data path native \(C\+\+ engine, 3 data threads on each UDP port\)/ : /data path ts \(Node dgram/), `says it runs the ${path} data path`)
    t.ok(await line(/request path prewarmed: 3000 throwaway allocations in [\d.]+ s/), 'and that it prewarmed its request path (3,000 by default)')
    const peer = await echoPeer('127.0.0.2')
    t.teardown(() => peer.close())
    const username = `${Math.floor(Date.now() / 1000) + 600}:data-path-user`
    const { createHmac } = await import('node:crypto')
    const c = await TurnClient.connect({ transport: 'udp', host: host!, port: Number(port), username, password: createHmac('sha1', SECRET).update(username).digest('base64') })
    t.teardown(() => c.close())
    await c.allocate()
    await c.channelBind(0x4000, peer.address)
    c.sendChannelData(0x4000, Buffer.from(path!))
    t.equal((await c.nextData()).data.toString(), path, `relays on the ${path} path`)
    child.kill('SIGTERM')
    const [code] = (await once(child, 'exit')) as [number]
    t.equal(code, 0, 'exits 0')
  }
})

t.test('sovereign relay refuses a --data-path that is not one', async (t) => {
  const { child, output } = sovereign(['relay', '--listen', '127.0.0.1:0', '--secret', SECRET, '--data-path', 'fast'])
  const [code] = (await once(child, 'exit')) as [number]
  t.not(code, 0)
  t.match(output(), /--data-path must be native, ts or auto, got fast/)
})
