/**
 * Extra load processes for the relay benchmark's max-rate runs (`--load-processes N`):
 * one Node generator saturates about one core, so a server faster than that per core
 * would otherwise be measured against the generator. Each helper owns its own flows
 * (allocations with a channel to the echo peer) and runs the same max-rate driver at the
 * same time as the main process; the benchmark adds the rates up and prints the CPU of
 * every generator process.
 *
 * Protocol over IPC: {setup} → {ready}; {max} → {result}; {close} → exits.
 */
import type { ChildProcess } from 'node:child_process'
import { pathToFileURL } from 'node:url'

import { closeFlows, runMaxRate, setupFlows, type Flow, type PacketRunOptions, type PacketRunResult } from './packet-load.js'
import { turnRestCredential } from '../relay/client/rest-credential.js'
import { siblingModule, spawnNode, stopChild } from './spawn-node.js'

interface Setup {
  type: 'setup'
  servers: { host: string; port: number }[]
  count: number
  firstIdentity: number
  peer: { family: 4; address: string; port: number }
  secret: string
  bufferBytes: number
}

type MaxOptions = Omit<PacketRunOptions, 'cpuPids' | 'onTick'> & { window: number }

export interface LoadHelper {
  readonly pid: number
  max(opts: MaxOptions): Promise<PacketRunResult>
  close(): Promise<void>
}

/** Starts a helper with `setup.count` flows of its own (identities from `firstIdentity`). */
export async function startLoadHelper(setup: Omit<Setup, 'type'>, cpus?: string): Promise<LoadHelper> {
  const child: ChildProcess = spawnNode(siblingModule(import.meta.url, './load-helper'), [], { cpus, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const next = <T>(type: string): Promise<T> => new Promise((resolve, reject) => {
    const onExit = (code: number | null): void => reject(new Error(`load helper exited (code ${code})`))
    child.once('exit', onExit)
    const onMessage = (m: { type: string }): void => {
      if (m.type !== type) return
      child.off('message', onMessage)
      child.off('exit', onExit)
      resolve(m as T)
    }
    child.on('message', onMessage)
  })
  const ready = next<{ type: 'ready' }>('ready')
  child.send({ type: 'setup', ...setup })
  await ready
  return {
    pid: child.pid ?? -1,
    async max(opts) {
      const done = next<{ type: 'result'; result: PacketRunResult }>('result')
      child.send({ type: 'max', opts })
      return (await done).result
    },
    async close() {
      child.send({ type: 'close' })
      await stopChild(child)
    },
  }
}

/** The sum of simultaneous max-rate runs: rates and counts add up, the latency is the main run's. */
export function mergeRuns(main: PacketRunResult, others: readonly PacketRunResult[]): PacketRunResult {
  if (others.length === 0) return main
  const all = [main, ...others]
  const sum = (f: (r: PacketRunResult) => number): number => all.reduce((t, r) => t + f(r), 0)
  const sent = sum((r) => r.sent)
  const lost = sum((r) => r.lost)
  return {
    ...main,
    pps: sum((r) => r.pps),
    mbps: sum((r) => r.mbps),
    sent,
    received: sum((r) => r.received),
    lost,
    lossRatio: sent === 0 ? 0 : lost / sent,
    late: sum((r) => r.late),
    cpu: { ...main.cpu, generator: sum((r) => r.cpu.generator ?? 0) },
  }
}

async function runChild(): Promise<void> {
  let flows: Flow[] = []
  process.on('message', (m: Setup | ({ type: 'max'; opts: MaxOptions }) | { type: 'close' }) => {
    void (async () => {
      if (m.type === 'setup') {
        flows = await setupFlows({
          servers: m.servers,
          count: m.count,
          peer: m.peer,
          credential: (i) => turnRestCredential(m.secret, `bench-${m.firstIdentity + i}`),
          bufferBytes: m.bufferBytes,
        })
        process.send?.({ type: 'ready' })
      } else if (m.type === 'max') {
        process.send?.({ type: 'result', result: await runMaxRate(flows, m.opts) })
      } else {
        await closeFlows(flows)
        process.exit(0)
      }
    })().catch((err: unknown) => {
      process.stderr.write(`load helper: ${(err as Error).stack ?? String(err)}\n`)
      process.exit(1)
    })
  })
  process.on('disconnect', () => process.exit(0))
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runChild()
}
