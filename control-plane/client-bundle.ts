/**
 * Builds the client SDK's browser bundle, `sovereign-relay/client/browser`: one ES module
 * of control-plane/client/index.ts for the browser platform (a Node-only import fails the
 * build), which the example page (plugins/example-call.ts) serves as is. `npm run build`
 * runs this file; tests call `buildClientBundle()` so they load the same bytes.
 */
import { mkdir } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..').replace(/\/dist$/, '')

/** Where the bundle lands (package.json `exports["./client/browser"]`). */
export const CLIENT_BUNDLE = resolve(ROOT, 'dist/client/sovereign-client.js')

export async function buildClientBundle(outfile = CLIENT_BUNDLE): Promise<string> {
  // esbuild is a devDependency: loaded only when building, never by a running control plane.
  const { build } = await import('esbuild')
  await mkdir(dirname(outfile), { recursive: true })
  await build({
    entryPoints: [resolve(ROOT, 'control-plane/client/index.ts')],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    legalComments: 'linked',
    outfile,
    logLevel: 'warning',
  })
  return outfile
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildClientBundle().then((file) => console.log(`client bundle: ${file}`), (err: unknown) => {
    console.error(err)
    process.exitCode = 1
  })
}
