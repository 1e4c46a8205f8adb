/**
 * Starting the benchmark's helper processes (echo peer, our relay) the same way whether
 * the benchmark runs from source under tsx or from the build in dist/: a `.ts` module gets
 * `--import tsx`, a `.js` one runs on plain node. Optionally pinned to CPUs with taskset,
 * so the generator, the echo peer and the server under test can be kept apart on 2 cores.
 */
import { spawn, execFileSync, type ChildProcess, type StdioOptions } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export interface Placement {
  /** CPU list for taskset, e.g. "1" or "0,1"; undefined leaves the scheduler alone. */
  cpus?: string | undefined
  /** Nice value (negative needs root); undefined or 0 leaves it. */
  nice?: number | undefined
}

/** `command args` wrapped in `nice`/`taskset` as `where` asks, so every thread inherits it. */
export function placed(command: string, args: string[], where: Placement = {}): [string, string[]] {
  let argv = [command, ...args]
  if (where.cpus !== undefined) argv = ['taskset', '-c', where.cpus, ...argv]
  if (where.nice) argv = ['nice', '-n', String(where.nice), ...argv]
  return [argv[0]!, argv.slice(1)]
}

export interface SpawnNodeOptions extends Placement {
  /** Extra node flags, e.g. ['--expose-gc']. */
  nodeArgs?: string[]
  env?: NodeJS.ProcessEnv
  stdio?: StdioOptions
}

/** The node flags needed to run `modulePath` (tsx for TypeScript sources). */
export function nodeArgsFor(modulePath: string): string[] {
  return modulePath.endsWith('.ts') ? ['--import', 'tsx'] : []
}

/** Resolves a sibling module of `fromUrl` with the same extension (.ts or .js) as it. */
export function siblingModule(fromUrl: string, relativeWithoutExt: string): string {
  const ext = fromUrl.endsWith('.ts') ? '.ts' : '.js'
  return fileURLToPath(new URL(relativeWithoutExt + ext, fromUrl))
}

export function spawnNode(modulePath: string, args: string[], opts: SpawnNodeOptions = {}): ChildProcess {
  const nodeArgv = [...nodeArgsFor(modulePath), ...(opts.nodeArgs ?? []), modulePath, ...args]
  const stdio = opts.stdio ?? ['ignore', 'inherit', 'inherit', 'ipc']
  const env = opts.env ?? process.env
  const [command, args_] = placed(process.execPath, nodeArgv, opts)
  return spawn(command, args_, { stdio, env })
}

/** Pins an existing process (all its threads) to `cpus`. */
export function pinProcess(pid: number, cpus: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' })
}

/** Pins one thread (by its thread id), not the rest of its process. */
export function pinThread(tid: number, cpus: string): void {
  execFileSync('taskset', ['-p', '-c', cpus, String(tid)], { stdio: 'ignore' })
}

/** Whether `command` is on PATH. */
export function onPath(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** Resolves when the child exits; kills it with SIGKILL if SIGTERM has not ended it in `graceMs`. */
export function stopChild(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
    child.once('exit', () => { clearTimeout(timer); resolve() })
    child.kill('SIGTERM')
  })
}
