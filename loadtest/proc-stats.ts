/**
 * Process and machine figures from Linux /proc, for putting benchmark numbers in context:
 * CPU seconds a process used (so a server's cost per packet can be compared even when the
 * load generator is the bottleneck), its resident memory, and how busy the whole machine
 * was (other work on a shared 2-core box skews every figure).
 */
import { readFileSync } from 'node:fs'

/** USER_HZ; 100 on every Linux this runs on (sysconf(_SC_CLK_TCK)). */
const CLOCK_TICKS = 100

/** User + system CPU seconds of process `pid` (all its threads) so far. */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // Fields after the parenthesised command name, which may itself contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const utime = Number(fields[11])
  const stime = Number(fields[12])
  return (utime + stime) / CLOCK_TICKS
}

/** Resident set size of process `pid` in bytes (VmRSS). */
export function processRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status)
  if (!m) throw new Error(`no VmRSS for pid ${pid}`)
  return Number(m[1]) * 1024
}

export interface MachineCpu {
  busy: number
  total: number
}

/** Busy and total CPU seconds of the whole machine, summed over cores (first line of /proc/stat). */
export function machineCpu(): MachineCpu {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!
  const v = line.trim().split(/\s+/).slice(1).map(Number)
  const idle = (v[3] ?? 0) + (v[4] ?? 0)
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0)
  return { busy: (total - idle) / CLOCK_TICKS, total: total / CLOCK_TICKS }
}

/** CPU seconds used between two snapshots of several processes and the machine. */
export class CpuMeter {
  readonly #pids: Map<string, number>
  #start = new Map<string, number>()
  #machine: MachineCpu = { busy: 0, total: 0 }
  constructor(pids: Record<string, number>) {
    this.#pids = new Map(Object.entries(pids))
  }
  start(): void {
    this.#machine = machineCpu()
    for (const [name, pid] of this.#pids) this.#start.set(name, processCpuSeconds(pid))
  }
  /** CPU seconds per named process since start(), plus `machineBusy` and `machineTotal`. */
  stop(): Record<string, number> {
    const out: Record<string, number> = {}
    for (const [name, pid] of this.#pids) out[name] = processCpuSeconds(pid) - (this.#start.get(name) ?? 0)
    const m = machineCpu()
    out.machineBusy = m.busy - this.#machine.busy
    out.machineTotal = m.total - this.#machine.total
    return out
  }
}
