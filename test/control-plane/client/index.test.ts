/**
 * `sovereign-relay/client` as a tenant's app gets it: built the way `npm run build` builds
 * it (tsconfig.client.json: JavaScript and declarations, type-checked without Node's
 * types), resolved through package.json `exports`, and imported in a fresh Node process
 * that refuses to load any server-side module and forbids code generation from strings.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

import t from 'tap'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
const run = promisify(execFile)

// Resolve hook for the fresh process: any server-side package (or the geo database) fails the import.
const FORBIDDEN = ['fastify', '@fastify/', 'ioredis', 'node-datachannel', 'maxmind', '@ip-location-db/', 'prom-client', 'ws']
const HOOKS = `
const forbidden = ${JSON.stringify(FORBIDDEN)}
export async function resolve(specifier, context, next) {
  if (forbidden.some((f) => specifier === f || (f.endsWith('/') && specifier.startsWith(f)) || specifier.startsWith(f + '/')))
    throw new Error('the client entry loaded ' + specifier)
  if (/\\.(mmdb)$/.test(specifier)) throw new Error('the client entry loaded ' + specifier)
  return next(specifier, context)
}`
const REGISTER = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(HOOKS)}`)})`

t.test('the built client entry imports through package exports without any server module, and validates without eval', async (t) => {
  // Type-checks the client graph without @types/node (tsconfig.client.json sets types: []) and emits JS + .d.ts.
  await run(process.execPath, [resolve(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.client.json'], { cwd: ROOT })
  t.ok(existsSync(resolve(ROOT, 'dist/control-plane/client/index.d.ts')), 'type declarations are emitted')
  const pkg = JSON.parse(await readFile(resolve(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, { types: string; default: string }> }
  t.equal(pkg.exports['./client']?.types, './dist/control-plane/client/index.d.ts', 'and package.json points its types at them')

  const script = `
    const before = new Set(process.moduleLoadList)
    const sdk = await import('sovereign-relay/client')
    // Node built-ins the import itself loaded (the process's own bootstrap loads some anyway).
    const loaded = process.moduleLoadList.filter((m) => !before.has(m) && m.startsWith('NativeModule ')).map((m) => m.slice(13))
    console.log(JSON.stringify({
      exports: ['SignalClient', 'PeerLink', 'generateParticipantKeyPair', 'decodeServerMessage', 'reconnectDelay', 'PROTOCOL_MINOR'].filter((k) => k in sdk),
      decoded: sdk.decodeServerMessage(JSON.stringify({ type: 'ice-restart', reason: 'relay-lost', iceServers: [{ urls: ['turn:127.0.0.1:3478'] }] })).ok,
      refused: sdk.decodeServerMessage(JSON.stringify({ type: 'ice-restart', reason: 'relay-lost', iceServers: [] })).ok,
      loaded: loaded.filter((m) => ['net', 'tls', 'dgram', 'http', 'child_process'].includes(m)),
    }))`
  const { stdout } = await run(process.execPath, ['--disallow-code-generation-from-strings', '--import', `data:text/javascript,${encodeURIComponent(REGISTER)}`, '--input-type=module', '-e', script], { cwd: ROOT })
  t.same(JSON.parse(stdout.trim()), {
    exports: ['SignalClient', 'PeerLink', 'generateParticipantKeyPair', 'decodeServerMessage', 'reconnectDelay', 'PROTOCOL_MINOR'],
    decoded: true,
    refused: false,
    loaded: [],
  }, 'every part is exported, the codec works with code generation forbidden, and no network module of Node was loaded')
})

t.test('the resolve hook of this test does refuse a server module (so the check above can fail)', async (t) => {
  const result = await run(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(REGISTER)}`, '--input-type=module', '-e', `await import('ioredis')`], { cwd: ROOT }).catch((err: { stderr: string }) => err)
  t.match('stderr' in result ? result.stderr : '', /the client entry loaded ioredis/)
})
