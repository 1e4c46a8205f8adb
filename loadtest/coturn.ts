/**
 * coturn as the benchmark's reference server: started on a free loopback port with one
 * relay thread and TURN REST API (shared secret) authentication, considered ready once it
 * answers a STUN Binding request, stopped with SIGTERM (SIGKILL after a grace period).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import dgram from 'node:dgram'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { Method, MessageClass } from '../relay/proto/constants.js'
import { decodeMessage, encodeMessage, isStunMessage } from '../relay/proto/message.js'
import { placed, stopChild } from './spawn-node.js'

export interface CoturnOptions {
  secret: string
  realm?: string
  host?: string
  /** UDP listening port; 0 or undefined picks a free one. */
  port?: number
  /** Relay port range; coturn needs one port per allocation. */
  minPort?: number
  maxPort?: number
  relayThreads?: number
  /** taskset CPU list for coturn. */
  cpus?: string | undefined
  /** nice value for coturn (all its threads). */
  nice?: number | undefined
  extraArgs?: string[]
  readyTimeoutMs?: number
}

export interface Coturn {
  readonly host: string
  readonly port: number
  readonly realm: string
  readonly pid: number
  /** The log file coturn writes (kept in a temp dir removed by stop()). */
  readonly logFile: string
  stop(): Promise<void>
}

/** A UDP port that was free a moment ago on `host`. */
export function freeUdpPort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4')
    s.once('error', reject)
    s.bind(0, host, () => {
      const port = s.address().port
      s.close(() => resolve(port))
    })
  })
}

/** Sends Binding requests every 100 ms until one is answered or `timeoutMs` passes. */
export function waitForBinding(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4')
    const transactionId = randomBytes(12)
    const request = encodeMessage({ method: Method.Binding, cls: MessageClass.Request, transactionId, attributes: [] })
    const finish = (err?: Error): void => {
      clearInterval(ticker)
      clearTimeout(deadline)
      socket.close()
      if (err) reject(err)
      else resolve()
    }
    socket.on('message', (msg) => {
      if (!isStunMessage(msg)) return
      const m = decodeMessage(msg)
      if (m.method === Method.Binding && m.cls === MessageClass.SuccessResponse && m.transactionId.equals(transactionId)) finish()
    })
    socket.on('error', (err) => finish(err))
    const send = (): void => socket.send(request, port, host)
    const ticker = setInterval(send, 100)
    const deadline = setTimeout(() => finish(new Error(`no Binding response from ${host}:${port} in ${timeoutMs} ms`)), timeoutMs)
    send()
  })
}

export async function startCoturn(opts: CoturnOptions): Promise<Coturn> {
  const host = opts.host ?? '127.0.0.1'
  const realm = opts.realm ?? 'bench.local'
  const port = opts.port || (await freeUdpPort(host))
  const dir = mkdtempSync(join(tmpdir(), 'bench-coturn-'))
  const logFile = join(dir, 'turnserver.log')
  const args = [
    '-n', // no configuration file
    '--no-cli',
    '--listening-ip', host,
    '--listening-port', String(port),
    '--relay-ip', host,
    '--use-auth-secret',
    '--static-auth-secret', opts.secret,
    '--realm', realm,
    '--relay-threads', String(opts.relayThreads ?? 1),
    '--allow-loopback-peers',
    '--no-tls', '--no-dtls', '--no-tcp',
    '--min-port', String(opts.minPort ?? 20000),
    '--max-port', String(opts.maxPort ?? 29999),
    '--userdb', join(dir, 'turndb'),
    '--pidfile', join(dir, 'turnserver.pid'),
    '--log-file', logFile,
    '--simple-log',
    '--no-stdout-log',
    ...(opts.extraArgs ?? []),
  ]
  const child: ChildProcess = spawn(...placed('turnserver', args, { cpus: opts.cpus, nice: opts.nice }), { stdio: 'ignore' })
  const exited = new Promise<never>((_, reject) => {
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`turnserver exited during start-up (code ${code}); log: ${tail(logFile)}`)))
  })
  try {
    await Promise.race([waitForBinding(host, port, opts.readyTimeoutMs ?? 10_000), exited])
  } catch (err) {
    await stopChild(child)
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
  exited.catch(() => { /* exits after start-up are reported by stop() callers, not here */ })
  return {
    host,
    port,
    realm,
    pid: child.pid ?? -1,
    logFile,
    async stop() {
      await stopChild(child)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n')
  } catch (err) {
    return `(no log: ${(err as Error).message})`
  }
}
