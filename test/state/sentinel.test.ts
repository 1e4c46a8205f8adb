import t from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { once } from 'node:events'
import { openRegionState } from '../../state/region-state.js'
import { freePort, startRedisServer, uniquePrefix } from './support/redis-servers.js'
import { meeting, participant, REGION } from './support/conformance.js'

async function startSentinel(masterPort: number): Promise<{ port: number; stop(): Promise<void> }> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'sr-sentinel-'))
  const conf = join(dir, 'sentinel.conf')
  writeFileSync(conf, [`port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, `sentinel monitor sr-main 127.0.0.1 ${masterPort} 1`, ''].join('\n'))
  const child: ChildProcess = spawn('redis-server', [conf, '--sentinel'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  await new Promise<void>((resolve, reject) => {
    const on = (b: Buffer) => {
      out += b.toString()
      if (/\+monitor master sr-main/.test(out)) {
        child.stdout!.off('data', on)
        child.stdout!.resume()
        resolve()
      }
    }
    child.stdout!.on('data', on)
    child.once('exit', (c) => reject(new Error(`sentinel exited ${c}: ${out.slice(-300)}`)))
  })
  child.removeAllListeners('exit')
  return {
    port,
    async stop() {
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      await exited
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

t.test('the same stores work through Redis Sentinel (smoke)', async (t) => {
  const master = await startRedisServer()
  t.teardown(() => master.stop())
  const sentinel = await startSentinel(master.port)
  t.teardown(() => sentinel.stop())
  const s = openRegionState({ region: REGION, redis: { sentinel: { name: 'sr-main', nodes: [`127.0.0.1:${sentinel.port}`] } }, prefix: uniquePrefix() })
  t.teardown(() => s.close())
  await s.ready()
  t.equal(s.connection?.kind, 'sentinel')
  const m = meeting()
  t.ok((await s.meetings.create(m)).ok, 'a script ran on the master sentinel named')
  await s.meetings.putParticipant(m.id, participant('p1', { addresses: ['127.0.1.1'] }))
  t.same([...(await s.policy.snapshot(m.id))!.admittedEndpoints], ['127.0.1.1'])
  const got = new Promise((r) => void s.bus.subscribe('smoke', r).then(() => s.bus.publish('smoke', 'via sentinel')))
  t.equal(await got, 'via sentinel', 'pub/sub works through the sentinel-resolved master')
})
