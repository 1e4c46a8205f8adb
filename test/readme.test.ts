/**
 * README.md's `sovereign` commands, as written there: each names a real command with real
 * flags, and the cheap ones (config check, geo lookup, token mint) run from a clone's root
 * exactly as a reader would paste them (`npm run sovereign -- …`, no npx install).
 */
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

import t from 'tap'

import { checkArgv } from './deploy/support/cli-commands.js'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('../', import.meta.url))
const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
const PREFIX = 'npm run sovereign -- '

/** The shell lines of README's ```sh blocks, continuation lines joined, comments kept for sh. */
function shellLines(markdown: string): string[] {
  const lines: string[] = []
  for (const block of markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)) {
    let pending = ''
    for (const raw of block[1]!.split('\n')) {
      if (raw.trimEnd().endsWith('\\')) { pending += raw.trimEnd().slice(0, -1); continue }
      const line = (pending + raw).trim()
      pending = ''
      if (line) lines.push(line)
    }
  }
  return lines
}

/** The argv after the prefix, without the trailing comment (words only; no quoting in README). */
const argvOf = (line: string): string[] => line.slice(PREFIX.length).replace(/\s+#.*$/, '').split(/\s+/)

const commands = shellLines(README).filter((l) => l.startsWith(PREFIX))

t.test('README shows the CLI as an npm script, never through npx (which installs the project into its cache first)', async (t) => {
  t.notMatch(README, /npx sovereign/)
  t.ok(commands.length >= 8, `${commands.length} commands`)
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> }
  t.ok(pkg.scripts['sovereign'], 'package.json has the sovereign script')
})

t.test('every README command names a command and flags the CLI has', async (t) => {
  for (const line of commands) {
    const argv = argvOf(line)
    // Subcommands (geo lookup, token mint, config check, relay drain) are checked by their parent.
    t.same(checkArgv(argv), [], line)
  }
})

const cheap: Array<{ command: string; expect: RegExp }> = [
  { command: 'config check', expect: /^OK deploy\/examples\/local-network\.yaml\n {2}regions: 3/m },
  { command: 'geo lookup', expect: /^127\.5\.0\.1 +CN China +override[\s\S]*^127\.1\.0\.9 +DE Germany/m },
  { command: 'token mint', expect: /^eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+$/m },
]

// Started together: each is a Node start-up (about a second, more on a loaded machine).
const runs = new Map(cheap.map(({ command }) => {
  const line = commands.find((l) => l.startsWith(PREFIX + command))
  return [command, { line, result: line ? run('sh', ['-c', line], { cwd: ROOT, timeout: 60_000 }) : undefined }]
}))
for (const r of runs.values()) r.result?.catch(() => {}) // awaited below; no unhandled rejection meanwhile

for (const { command, expect } of cheap) {
  t.test(`README's "${command}" runs as written`, async (t) => {
    const { line, result } = runs.get(command)!
    if (!line || !result) return t.fail(`README shows no "${PREFIX}${command}" command`)
    const { stdout } = await result
    t.match(stdout, expect, line)
  })
}
