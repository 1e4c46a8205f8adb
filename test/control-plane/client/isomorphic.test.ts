import { readFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

import t from 'tap'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
const IMPORT = /^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm

/** Every module specifier reachable from `entry` through relative imports. */
async function importGraph(entry: string): Promise<{ files: string[]; packages: Set<string> }> {
  const seen = new Set<string>()
  const packages = new Set<string>()
  const queue = [resolve(ROOT, entry)]
  while (queue.length > 0) {
    const file = queue.pop()!
    if (seen.has(file)) continue
    seen.add(file)
    const text = await readFile(file, 'utf8')
    for (const [, spec] of text.matchAll(IMPORT)) {
      if (spec!.startsWith('.')) queue.push(resolve(dirname(file), spec!.replace(/\.js$/, '.ts')))
      else packages.add(spec!)
    }
  }
  return { files: [...seen].map((f) => f.slice(ROOT.length + 1)).sort(), packages }
}

t.test('the signaling client and key opening import nothing Node-only, so they run in a browser', async (t) => {
  for (const entry of ['control-plane/client/signal-client.ts', 'control-plane/client/open-key.ts', 'control-plane/client/peer-link.ts', 'control-plane/client/index.ts']) {
    const { files, packages } = await importGraph(entry)
    t.same([...packages].filter((p) => p.startsWith('node:') || ['ws', 'fs', 'crypto', 'net'].includes(p)), [], `${entry} packages: ${[...packages].join(', ')}`)
    t.notOk(files.some((f) => f.startsWith('control-plane/keys/') && !['control-plane/keys/base64url.ts', 'control-plane/keys/hpke-suite.ts'].includes(f)), `${entry} stays off the server-side key code`)
    t.notOk(files.includes('control-plane/errors.ts'), `${entry} does not pull in @fastify/error`)
  }
})
