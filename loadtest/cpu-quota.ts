/**
 * A CPU ceiling for the server under test (cgroup v1 `cpu` controller, CFS quota), so
 * that on a 2-core machine the load side can saturate it: with the server capped at, say,
 * half a core, the max-rate scenario measures the server's rate at that share instead of
 * how fast the generator can push. Needs root and /sys/fs/cgroup/cpu; the group is
 * removed (and its tasks moved back to the root group) by the returned release function.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs'

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
  return cappedGroup(pids, 'cgroup.procs', fraction, tag, shares)
}

/**
 * Caps each of `pid`'s threads whose name starts with `namePrefix` at `fraction` of one
 * CPU, in a group of its own; the process's other threads stay where they were. One group
 * for several threads would not cap each: CFS hands a group's quota out to CPUs in slices
 * (kernel.sched_cfs_bandwidth_slice_us, 5 ms by default), so with a 5 ms quota one CPU's
 * thread can take all of it while another thread of the group waits. Returns the thread
 * ids and the release function.
 */
export function limitThreads(pid: number, namePrefix: string, fraction: number, tag: string, shares = 10_240): { tids: number[]; release: () => void } {
  const tids = readdirSync(`/proc/${pid}/task`).map(Number).filter((tid) => {
    try {
      return readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').startsWith(namePrefix)
    } catch {
      return false // the thread has exited
    }
  })
  if (tids.length === 0) throw new Error(`process ${pid} has no thread named ${namePrefix}*`)
  const releases: (() => void)[] = []
  try {
    for (const tid of tids) releases.push(cappedGroup([tid], 'tasks', fraction, `${tag}-t${tid}`, shares))
  } catch (err) {
    for (const r of releases) r()
    throw err
  }
  return { tids, release: () => { for (const r of releases) r() } }
}

/** A group capped at `fraction` of a CPU holding `ids`, written to its `file` (cgroup.procs: processes, tasks: threads). */
function cappedGroup(ids: readonly number[], file: 'cgroup.procs' | 'tasks', fraction: number, tag: string, shares: number): () => void {
  if (!(fraction > 0 && fraction <= 64)) throw new RangeError(`CPU fraction out of range: ${fraction}`)
  const dir = `${ROOT}/sovereign-bench-${process.pid}-${tag}`
  mkdirSync(dir)
  writeFileSync(`${dir}/cpu.cfs_period_us`, String(PERIOD_US))
  writeFileSync(`${dir}/cpu.cfs_quota_us`, String(Math.round(fraction * PERIOD_US)))
  writeFileSync(`${dir}/cpu.shares`, String(shares))
  for (const id of ids) writeFileSync(`${dir}/${file}`, String(id))
  let released = false
  return () => {
    if (released) return
    released = true
    // Only live tasks are listed; move them back so the group can be removed.
    for (const id of readFileSync(`${dir}/${file}`, 'utf8').split('\n').filter(Boolean)) {
      writeFileSync(`${ROOT}/${file}`, id)
    }
    rmdirSync(dir)
  }
}
