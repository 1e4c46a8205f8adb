/**
 * The benchmark's peer: a UDP socket on a loopback address that sends every datagram back
 * to where it came from (the relayed transport address of an allocation). It runs in its
 * own process so its syscalls do not share the load generator's event loop.
 *
 * `startEchoPeer()` forks this same module; run directly, the module is the child.
 */
import dgram from 'node:dgram'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { ChildProcess } from 'node:child_process'

import { spawnNode, stopChild } from './spawn-node.js'

export interface EchoPeerOptions {
  /** Loopback address to bind; 127.0.0.2 keeps it apart from the servers on 127.0.0.1. */
  host?: string
  port?: number
  /** taskset CPU list for the child. */
  cpus?: string | undefined
  nice?: number | undefined
  /** SO_RCVBUF / SO_SNDBUF request in bytes (the kernel caps it at net.core.*mem_max). */
  bufferBytes?: number
}

export interface EchoPeerStats {
  received: number
  echoed: number
  sendErrors: number
}

export interface EchoPeer {
  readonly host: string
  readonly port: number
  readonly pid: number
  stats(): Promise<EchoPeerStats>
  stop(): Promise<void>
}

type ParentMessage = { type: 'stats' } | { type: 'stop' }
type ChildMessage =
  | { type: 'ready'; host: string; port: number }
  | { type: 'stats'; stats: EchoPeerStats }
  | { type: 'error'; message: string }

export async function startEchoPeer(opts: EchoPeerOptions = {}): Promise<EchoPeer> {
  const host = opts.host ?? '127.0.0.2'
  const args = [host, String(opts.port ?? 0), String(opts.bufferBytes ?? 4 * 1024 * 1024)]
  const child = spawnNode(fileURLToPath(import.meta.url), args, { cpus: opts.cpus, nice: opts.nice })
  const ready = await new Promise<{ host: string; port: number }>((resolve, reject) => {
    const onExit = (code: number | null): void => reject(new Error(`echo peer exited early (code ${code})`))
    child.once('exit', onExit)
    child.once('message', (m: ChildMessage) => {
      child.off('exit', onExit)
      if (m.type === 'ready') resolve({ host: m.host, port: m.port })
      else if (m.type === 'error') reject(new Error(`echo peer failed: ${m.message}`))
      else reject(new Error(`echo peer sent ${m.type} before ready`))
    })
  })
  return new EchoPeerHandle(child, ready.host, ready.port)
}

class EchoPeerHandle implements EchoPeer {
  readonly #child: ChildProcess
  readonly host: string
  readonly port: number
  constructor(child: ChildProcess, host: string, port: number) {
    this.#child = child
    this.host = host
    this.port = port
  }
  get pid(): number { return this.#child.pid ?? -1 }
  stats(): Promise<EchoPeerStats> {
    return new Promise((resolve, reject) => {
      const onMessage = (m: ChildMessage): void => {
        if (m.type !== 'stats') return
        this.#child.off('message', onMessage)
        resolve(m.stats)
      }
      this.#child.on('message', onMessage)
      this.#child.send({ type: 'stats' } satisfies ParentMessage, (err) => { if (err) reject(err) })
    })
  }
  async stop(): Promise<void> {
    if (this.#child.connected) this.#child.send({ type: 'stop' } satisfies ParentMessage)
    await stopChild(this.#child)
  }
}

/** The child: bind, echo, answer stats over IPC, exit when told or orphaned. */
function runChild(host: string, port: number, bufferBytes: number): void {
  const stats: EchoPeerStats = { received: 0, echoed: 0, sendErrors: 0 }
  const socket = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', recvBufferSize: bufferBytes, sendBufferSize: bufferBytes })
  const onSent = (err: Error | null): void => {
    if (err) stats.sendErrors++
    else stats.echoed++
  }
  socket.on('message', (msg, rinfo) => {
    stats.received++
    socket.send(msg, rinfo.port, rinfo.address, onSent)
  })
  socket.on('error', (err) => {
    process.send?.({ type: 'error', message: err.message } satisfies ChildMessage)
    process.exit(1)
  })
  socket.bind(port, host, () => {
    const addr = socket.address()
    process.send?.({ type: 'ready', host: addr.address, port: addr.port } satisfies ChildMessage)
  })
  const shutdown = (): void => { socket.close(() => process.exit(0)) }
  process.on('message', (m: ParentMessage) => {
    if (m.type === 'stats') process.send?.({ type: 'stats', stats: { ...stats } } satisfies ChildMessage)
    else if (m.type === 'stop') shutdown()
  })
  process.on('disconnect', shutdown)
  process.on('SIGTERM', shutdown)
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runChild(process.argv[2] ?? '127.0.0.2', Number(process.argv[3] ?? 0), Number(process.argv[4] ?? 4 * 1024 * 1024))
}
