/**
 * The benchmark's CPU caps (cgroup v1 CFS quota): the threads scenario caps each data
 * thread in a group of its own, leaving the process's other threads where they were.
 * Needs root and the cgroup v1 cpu controller; skipped elsewhere.
 */
import { readdirSync, readFileSync } from 'node:fs'

import t from 'tap'

import { cpuQuotaAvailable, limitThreads } from '../../loadtest/cpu-quota.js'
import { loadAddon } from '../../relay/native/index.js'
import { startRelayNode } from '../../relay/relay-node.js'

const usable = cpuQuotaAvailable() && process.getuid?.() === 0 && loadAddon().ok

/** The cpu controller group a thread of this process is in ('/' for the root group). */
function cpuGroupOf(tid: number): string {
  const line = readFileSync(`/proc/self/task/${tid}/cgroup`, 'utf8').split('\n').find((l) => /:(?:[^:]*,)?cpu(?:,[^:]*)?:/.test(l))
  return line?.split(':')[2] ?? ''
}

t.test('each data thread is capped in a group of its own and put back on release', { skip: !usable && 'needs root, cgroup v1 cpu and the native addon' }, async (t) => {
  const node = await startRelayNode({ listen: ['127.0.0.1:0'], secrets: ['s'], realm: 'sovereign', dataPath: 'native', dataThreads: 2 })
  t.teardown(() => node.close())
  const before = readdirSync('/proc/self/task').map(Number).map((tid) => [tid, cpuGroupOf(tid)] as const)
  const { tids, release } = limitThreads(process.pid, 'sr-data-', 0.25, 'cpu-quota-test')
  try {
    t.equal(tids.length, 2, 'both data threads found by name')
    const groups = tids.map(cpuGroupOf)
    t.equal(new Set(groups).size, 2, 'in two groups, one each')
    for (const g of groups) {
      t.match(g, /sovereign-bench-/)
      t.equal(readFileSync(`/sys/fs/cgroup/cpu${g}/cpu.cfs_quota_us`, 'utf8').trim(), String(0.25 * Number(readFileSync(`/sys/fs/cgroup/cpu${g}/cpu.cfs_period_us`, 'utf8'))), 'at a quarter of a CPU')
    }
    t.equal(cpuGroupOf(process.pid), before.find(([tid]) => tid === process.pid)![1], 'the JavaScript thread stays where it was')
  } finally {
    release()
  }
  t.same(tids.map(cpuGroupOf), tids.map(() => '/'), 'back in the root group')
  t.same(readdirSync('/sys/fs/cgroup/cpu').filter((d) => d.includes('cpu-quota-test')), [], 'the groups are removed')
})

t.test('a process without such threads is refused, nothing left behind', { skip: !cpuQuotaAvailable() && 'no cgroup v1 cpu controller' }, async (t) => {
  t.throws(() => limitThreads(process.pid, 'no-such-thread-', 0.25, 'cpu-quota-none'), /no thread named no-such-thread-/)
  t.same(readdirSync('/sys/fs/cgroup/cpu').filter((d) => d.includes('cpu-quota-none')), [])
})
