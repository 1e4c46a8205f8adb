/**
 * A CPU ceiling for the server under test (cgroup v1 `cpu` controller, CFS quota), so
 * that on a 2-core machine the load side can saturate it: with the server capped at, say,
 * half a core, the max-rate scenario measures the server's rate at that share instead of
 * how fast the generator can push. Needs root and /sys/fs/cgroup/cpu; the group is
 * removed (and its tasks moved back to the root group) by the returned release function.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs'

const ROOT = '/sys/fs/cgroup/cpu'
/** A short period keeps throttling pauses short (10 ms instead of the default 100 ms). */
const PERIOD_US = 10_000

export function cpuQuotaAvailable(): boolean {
  return existsSync(`${ROOT}/cpu.cfs_quota_us`)
}

/**
 * Caps `pids` (all their threads) at `fraction` of one CPU. `shares` is their weight
 * against everything else on the machine (1024 = a plain process).
 */
export function limitCpu(pids: readonly number[], fraction: number, tag: string, shares = 10_240): () => void {
  if (!(fraction > 0 && fraction <= 64)) throw new RangeError(`CPU fraction out of range: ${fraction}`)
  const dir = `${ROOT}/sovereign-bench-${process.pid}-${tag}`
  mkdirSync(dir)
  writeFileSync(`${dir}/cpu.cfs_period_us`, String(PERIOD_US))
  writeFileSync(`${dir}/cpu.cfs_quota_us`, String(Math.round(fraction * PERIOD_US)))
  writeFileSync(`${dir}/cpu.shares`, String(shares))
  for (const pid of pids) writeFileSync(`${dir}/cgroup.procs`, String(pid))
  let released = false
  return () => {
    if (released) return
    released = true
    // Only live tasks are listed; move them back so the group can be removed.
    for (const pid of readFileSync(`${dir}/cgroup.procs`, 'utf8').split('\n').filter(Boolean)) {
      writeFileSync(`${ROOT}/cgroup.procs`, pid)
    }
    rmdirSync(dir)
  }
}
