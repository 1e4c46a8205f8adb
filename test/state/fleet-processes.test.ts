import t from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { openRegionState } from '../../state/region-state.js'
import { uniquePrefix } from './support/redis-servers.js'
import { deletePrefix } from './support/redis-harness.js'

const URL_ = 'redis://127.0.0.1:6379'
const INTERVAL = 100
const TTL = 500
const script = fileURLToPath(new URL('./support/relay-process.ts', import.meta.url))

async function startRelay(prefix: string, id: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import=tsx', script, URL_, prefix, id, String(INTERVAL), String(TTL)], { stdio: ['ignore', 'pipe', 'inherit'] })
  const [line] = (await once(child.stdout!, 'data')) as [Buffer]
  if (!line.toString().includes('ready')) throw new Error(`relay ${id} said ${line.toString()}`)
  return child
}

t.test('relay processes form one fleet; a SIGKILLed relay leaves within its TTL and a stopped one at once', async (t) => {
  const prefix = uniquePrefix()
  const s = openRegionState({ region: 'eu-central', redis: { url: URL_ }, prefix })
  await s.ready()
  const children = await Promise.all(['relay-1', 'relay-2', 'relay-3'].map((id) => startRelay(prefix, id)))
  t.teardown(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
    await deletePrefix(s.connection!.command, prefix)
    await s.close()
  })
  t.same((await s.fleet.liveRelays()).map((r) => r.id), ['relay-1', 'relay-2', 'relay-3'])

  const killedAt = Date.now()
  const exited = once(children[1]!, 'exit')
  children[1]!.kill('SIGKILL')
  await exited
  const before = (await s.fleet.liveRelays()).find((r) => r.id === 'relay-2')
  const expiresAt = before?.expiresAt ?? killedAt
  t.ok(expiresAt - killedAt <= TTL, `its registration runs out ${expiresAt - killedAt} ms after the kill (TTL ${TTL})`)
  // nothing to await but time itself: wait out the TTL that was just read
  await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - Date.now()) + 20))
  t.same((await s.fleet.liveRelays()).map((r) => r.id), ['relay-1', 'relay-3'], 'gone; the live ones beat on')
  t.equal(await s.connection!.command.hexists(s.keys.fleet().relays, 'relay-2'), 0, 'and nothing stale is left behind')

  const stopped = once(children[2]!, 'exit')
  children[2]!.kill('SIGTERM')
  await stopped
  t.same((await s.fleet.liveRelays()).map((r) => r.id), ['relay-1'], 'a clean shutdown deregisters at once')
})
