/**
 * redis-server processes a test starts for itself on free loopback ports: a standalone
 * server it can stop and restart on the same port (outage tests), and a real 3-master
 * Redis Cluster. Everything is torn down by the returned `stop()`.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { once } from 'node:events'
import { promisify } from 'node:util'
import { randomBytes } from 'node:crypto'

const exec = promisify(execFile)

import { freePort } from '../../support/free-port.js'

export { freePort }

/** Start redis-server with args; resolves when it accepts connections. */
async function spawnRedis(port: number, dir: string, extra: string[] = []): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  await new Promise<void>((resolve, reject) => {
    const onData = (b: Buffer) => {
      out += b.toString()
      if (out.includes('Ready to accept connections')) {
        child.stdout!.off('data', onData)
        child.stdout!.resume()
        resolve()
      }
    }
    child.stdout!.on('data', onData)
    child.once('exit', (code) => reject(new Error(`redis-server on ${port} exited with ${code}: ${out.slice(-500)}`)))
  })
  child.removeAllListeners('exit')
  return child
}

async function kill(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill(signal)
  await exited
}

export interface RedisServer {
  readonly port: number
  readonly url: string
  /** Stop the server (outage); SIGTERM with --save '' loses everything, like a crash. */
  down(): Promise<void>
  /** Start it again on the same port. */
  up(): Promise<void>
  stop(): Promise<void>
}

export async function startRedisServer(extra: string[] = []): Promise<RedisServer> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'sr-redis-'))
  let child: ChildProcess | undefined = await spawnRedis(port, dir, extra)
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async down() {
      if (child) await kill(child)
      child = undefined
    },
    async up() {
      if (!child) child = await spawnRedis(port, dir, extra)
    },
    async stop() {
      if (child) await kill(child)
      child = undefined
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export interface RedisCluster {
  readonly nodes: string[]
  stop(): Promise<void>
}

/** A real 3-master cluster (no replicas) from redis-server processes on free ports. */
export async function startRedisCluster(masters = 3): Promise<RedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'sr-cluster-'))
  const ports: number[] = []
  const children: ChildProcess[] = []
  try {
    for (let i = 0; i < masters; i++) {
      const port = await freePort()
      ports.push(port)
      children.push(await spawnRedis(port, dir, [
        '--cluster-enabled', 'yes',
        '--cluster-config-file', `nodes-${port}-${randomBytes(4).toString('hex')}.conf`,
        '--cluster-node-timeout', '2000',
      ]))
    }
    const nodes = ports.map((p) => `127.0.0.1:${p}`)
    await exec('redis-cli', ['--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes'])
    // Every node must agree the cluster is ok before the first command.
    for (const p of ports) {
      for (let i = 0; ; i++) {
        const { stdout } = await exec('redis-cli', ['-p', String(p), 'cluster', 'info'])
        if (stdout.includes('cluster_state:ok')) break
        if (i > 200) throw new Error(`cluster node ${p} never reached cluster_state:ok`)
        await new Promise((r) => setTimeout(r, 50)) // polling an external process: nothing to await
      }
    }
    return {
      nodes,
      async stop() {
        await Promise.all(children.map((c) => kill(c)))
        rmSync(dir, { recursive: true, force: true })
      },
    }
  } catch (err) {
    await Promise.all(children.map((c) => kill(c)))
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
}

/** A unique key prefix per test run. */
export function uniquePrefix(name = 't'): string {
  return `${name}${process.pid}x${randomBytes(4).toString('hex')}`
}
