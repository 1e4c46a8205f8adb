/**
 * Builds the benchmark's native load side (loadtest/native/*.c: the generator and the echo
 * peer) with the installed C compiler into build/loadtest/ (gitignored), once per source
 * change. No compiler: a clear error that names `--load node` as the way round it.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { onPath } from './spawn-node.js'

export type NativeProgram = 'udp-load' | 'udp-echo'

/** The repository root: the nearest ancestor holding loadtest/native (from source and from dist/). */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    if (existsSync(join(dir, 'loadtest', 'native', 'udp-load.c'))) return dir
    const up = dirname(dir)
    if (up === dir) throw new Error('loadtest/native/udp-load.c not found above the benchmark')
    dir = up
  }
}

function compiler(): string {
  const cc = [process.env.CC, 'cc', 'gcc', 'clang'].find((c): c is string => c !== undefined && c !== '' && onPath(c))
  if (!cc) throw new Error('the native load side needs a C compiler (cc, gcc or clang on PATH, or $CC); install one or run with --load node')
  return cc
}

/** Path of the built program, compiling it first when it is missing or older than its source. */
export function nativeProgram(name: NativeProgram): string {
  const root = repoRoot()
  const source = join(root, 'loadtest', 'native', `${name}.c`)
  const out = join(root, 'build', 'loadtest', name)
  if (existsSync(out) && statSync(out).mtimeMs >= statSync(source).mtimeMs) return out
  mkdirSync(dirname(out), { recursive: true })
  // Built under a private name, then renamed: a concurrent run never executes a half-written file.
  const tmp = `${out}.${process.pid}.tmp`
  execFileSync(compiler(), ['-O2', '-Wall', '-pthread', '-o', tmp, source, '-lm'], { stdio: ['ignore', 'ignore', 'inherit'] })
  renameSync(tmp, out)
  return out
}
