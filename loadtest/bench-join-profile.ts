/**
 * Summarises V8 CPU profiles (`node --cpu-prof`, e.g. from `BENCH_JOIN_CPU_PROF=<dir> npm
 * run bench:join`): the functions with the most self time, and the same grouped by
 * package / project folder, so "where does a join spend its CPU" has an answer without
 * opening DevTools. Idle and program (native, unattributed) time are shown apart.
 *
 * `--last 6` keeps only the profile's last 6 seconds (the measured phase, without start-up).
 *
 *   npx tsx loadtest/bench-join-profile.ts <file.cpuprofile> [--top 40] [--last 6]
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'

interface ProfileNode {
  readonly id: number
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }
  readonly children?: readonly number[]
}

interface Profile {
  readonly nodes: readonly ProfileNode[]
  readonly samples: readonly number[]
  readonly timeDeltas: readonly number[]
}

/** Self microseconds per node id, of the samples in the last `lastSeconds` of the profile (all when undefined). */
function selfTimes(profile: Profile, lastSeconds: number | undefined): Map<number, number> {
  const self = new Map<number, number>()
  const total = profile.timeDeltas.reduce((a, b) => a + b, 0)
  const from = lastSeconds === undefined ? 0 : total - lastSeconds * 1e6
  let t = 0
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0
    t += dt
    if (t >= from) self.set(id, (self.get(id) ?? 0) + dt)
  })
  return self
}

/** Where a script URL belongs: a package name, a project folder, or node itself. */
export function ownerOf(url: string): string {
  if (url === '') return '(native)'
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0]
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (pkg) return pkg[1]!
  const own = /\/(control-plane|state|relay|geo|config|loadtest|cli)\/(?:([^/]+)\/)?/.exec(url)
  if (own) return own[2] && !own[2].includes('.') ? `${own[1]}/${own[2]}` : own[1]!
  return url
}

function summarise(file: string, top: number, lastSeconds: number | undefined): void {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
  const self = selfTimes(profile, lastSeconds)
  let total = 0
  for (const us of self.values()) total += us
  const byFunction = new Map<string, number>()
  const byOwner = new Map<string, number>()
  let idle = 0
  for (const node of profile.nodes) {
    const us = self.get(node.id) ?? 0
    if (us === 0) continue
    const { functionName, url, lineNumber } = node.callFrame
    if (functionName === '(idle)') { idle += us; continue }
    const where = url === '' ? '' : ` ${url.replace(/^.*\/(node_modules|work\/main|c-base)\//, '')}:${lineNumber + 1}`
    const name = `${functionName || '(anonymous)'}${where}`
    byFunction.set(name, (byFunction.get(name) ?? 0) + us)
    const owner = functionName.startsWith('(') ? functionName : ownerOf(url)
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + us)
  }
  const busy = total - idle
  const pct = (us: number) => `${((us / busy) * 100).toFixed(1).padStart(5)}%`
  console.log(`${file}: ${(total / 1e6).toFixed(2)} s sampled, ${(busy / 1e6).toFixed(2)} s busy (percentages of busy time)`)
  console.log('\nself time by owner:')
  for (const [owner, us] of [...byOwner].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(us)}  ${owner}`)
  console.log('\nself time by function:')
  for (const [name, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(us)}  ${name}`)
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '40' }, last: { type: 'string' } } })
if (positionals.length === 0) {
  console.error('usage: bench-join-profile.ts <file.cpuprofile>... [--top 40]')
  process.exit(2)
}
for (const file of positionals) summarise(file, Number(values.top), values.last === undefined ? undefined : Number(values.last))
