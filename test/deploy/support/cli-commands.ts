/**
 * The CLI's commands and their flags, read from cli/commands/*.ts (commander calls):
 * `.command('name')` and `.option('--flag …')` / `.requiredOption(…)`. A file's options
 * are attributed to the commands the file registers (one command per file, by the
 * house rule), so this is exact for single-command files and generous otherwise.
 */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'

import { ROOT, read } from './deploy-files.js'

export function cliCommands(): Map<string, Set<string>> {
  const commands = new Map<string, Set<string>>()
  const dir = join(ROOT, 'cli', 'commands')
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
    const text = read('cli', 'commands', f)
    const flags = new Set([...text.matchAll(/(?:\.(?:option|requiredOption)\(|new Option\()\s*'(?:-\w, )?(--[a-z][a-z-]*)/g)].map((m) => m[1]!))
    // platform/logger.ts's shared option.
    if (text.includes('logLevelOption(')) flags.add('--log-level')
    for (const m of text.matchAll(/\.command\(\s*'([a-z][a-z-]*)/g)) {
      const prev = commands.get(m[1]!) ?? new Set<string>()
      commands.set(m[1]!, new Set([...prev, ...flags]))
    }
  }
  return commands
}

/** Problems with an argv of the `sovereign` CLI: unknown command or flags. */
export function checkArgv(argv: readonly string[], commands = cliCommands()): string[] {
  const [command, ...rest] = argv
  const flags = commands.get(command ?? '')
  if (!flags) return [`unknown command ${command}`]
  return rest.filter((a) => a.startsWith('--')).map((a) => a.split('=')[0]!).filter((a) => !flags.has(a)).map((a) => `${command} has no flag ${a}`)
}

/** Paths a process's HTTP side serves, read from the code. */
export function servedPaths(): { relay: Set<string>; controlPlane: Set<string> } {
  const relay = new Set([...read('relay/metrics/http.ts').matchAll(/path === '(\/[a-z]+)'/g)].map((m) => m[1]!))
  const controlPlane = new Set<string>()
  for (const f of ['control-plane/plugins/health.ts', 'control-plane/plugins/metrics.ts']) {
    for (const m of read(f).matchAll(/app\.get\(\s*'(\/[a-z]+)'/g)) controlPlane.add(m[1]!)
  }
  return { relay, controlPlane }
}
