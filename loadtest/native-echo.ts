/**
 * The native echo peer (loadtest/native/udp-echo.c): recvmmsg, then sendmmsg of every
 * datagram back to its sender, so the echo side batches like the relay does. Its stdin is
 * a pipe from this process: when the benchmark dies, the peer sees EOF and exits.
 */
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'

import { nativeProgram } from './native-build.js'
import { placed, stopChild, type Placement } from './spawn-node.js'
import type { PeerProcess } from './turnutils-peer.js'

export async function startNativeEcho(opts: { host?: string; bufferBytes?: number } & Placement = {}): Promise<PeerProcess> {
  const host = opts.host ?? '127.0.0.2'
  const args = [host, '0', String(opts.bufferBytes ?? 4 * 1024 * 1024)]
  const child = spawn(...placed(nativeProgram('udp-echo'), args, opts), { stdio: ['pipe', 'pipe', 'inherit'] })
  const lines = createInterface({ input: child.stdout! })
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`native echo peer exited during start-up (code ${code})`)))
    lines.once('line', (line) => resolve((JSON.parse(line) as { port: number }).port))
  })
  return { host, port, pid: child.pid ?? -1, stop: () => stopChild(child) }
}
