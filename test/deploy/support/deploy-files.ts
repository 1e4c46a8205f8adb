/** Paths and readers for deploy/ (the operations engineer's files). */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { parseAllDocuments } from 'yaml'

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
export const DEPLOY = join(ROOT, 'deploy')

export const read = (...parts: string[]): string => readFileSync(join(ROOT, ...parts), 'utf8')

/** Files under deploy/<dir> with one of the extensions, as paths relative to the root. */
export function filesIn(dir: string, extensions: readonly string[]): string[] {
  const out: string[] = []
  const walk = (rel: string) => {
    for (const e of readdirSync(join(ROOT, rel), { withFileTypes: true })) {
      const p = join(rel, e.name)
      if (e.isDirectory()) walk(p)
      else if (extensions.some((x) => e.name.endsWith(x))) out.push(p)
    }
  }
  walk(join('deploy', dir))
  return out.sort()
}

/** Every document of a (multi-document) YAML file; throws on the first parse error. */
export function yamlDocuments(path: string): unknown[] {
  const docs = parseAllDocuments(read(path))
  const list = Array.isArray(docs) ? docs : [docs]
  return list.map((d, i) => {
    if (d.errors.length > 0) throw new Error(`${path} document ${i}: ${d.errors.map((e) => e.message).join('; ')}`)
    return d.toJS() as unknown
  }).filter((d) => d !== null && d !== undefined)
}
