/**
 * coturn's own UDP echo peer (`turnutils_peer`, C) as an alternative to echo-peer.ts: on
 * 2 cores the load side competes with the server for CPU, and a peer that costs a few
 * microseconds per datagram instead of a Node callback leaves more of it to the generator.
 */
import { spawn } from 'node:child_process'
import dgram from 'node:dgram'

import { freeUdpPort } from './coturn.js'
import { placed, stopChild, type Placement } from './spawn-node.js'

export interface PeerProcess {
  readonly host: string
  readonly port: number
  readonly pid: number
  stop(): Promise<void>
}

export async function startTurnutilsPeer(opts: { host?: string } & Placement = {}): Promise<PeerProcess> {
  const host = opts.host ?? '127.0.0.2'
  const port = await freeUdpPort(host)
  const args = ['-L', host, '-p', String(port)]
  const child = spawn(...placed('turnutils_peer', args, opts), { stdio: 'ignore' })
  try {
    await waitForEcho(host, port, 5000)
  } catch (err) {
    await stopChild(child)
    throw err
  }
  return { host, port, pid: child.pid ?? -1, stop: () => stopChild(child) }
}

/** Sends a probe every 50 ms until it comes back. */
export function waitForEcho(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4')
    const probe = Buffer.from('echo?')
    const finish = (err?: Error): void => {
      clearInterval(ticker)
      clearTimeout(deadline)
      socket.close()
      if (err) reject(err)
      else resolve()
    }
    socket.on('message', (m) => { if (m.equals(probe)) finish() })
    socket.on('error', (err) => finish(err))
    const ticker = setInterval(() => socket.send(probe, port, host), 50)
    const deadline = setTimeout(() => finish(new Error(`no echo from ${host}:${port} in ${timeoutMs} ms`)), timeoutMs)
  })
}
