// `npm install` step for the native data plane (relay/native/). Builds the addon from
// source with node-gyp against Node's own headers; a machine without a compiler, or
// another OS, gets a warning and the TypeScript data path — never a failed install.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const require = createRequire(import.meta.url)

if (process.env.SOVEREIGN_SKIP_NATIVE_BUILD === '1') {
  console.log('sovereign-relay: SOVEREIGN_SKIP_NATIVE_BUILD=1, not building the native data plane (the TypeScript path will run)')
  process.exit(0)
}
if (process.platform !== 'linux') {
  console.log(`sovereign-relay: the native data plane is Linux-only (recvmmsg, SO_REUSEPORT); on ${process.platform} the TypeScript data path runs`)
  process.exit(0)
}
// npm hands its bundled node-gyp to install scripts; a local one works as well.
const gyp = process.env.npm_config_node_gyp ?? (() => {
  try {
    return require.resolve('node-gyp/bin/node-gyp.js')
  } catch {
    return undefined
  }
})()
if (gyp === undefined || !existsSync(gyp)) {
  console.warn('sovereign-relay: node-gyp not found; the native data plane is not built and the TypeScript data path will run')
  process.exit(0)
}
// Nothing may be downloaded: build against the headers of the Node that runs this, when
// it ships them (npm passes npm_config_nodedir=/usr on these machines; node-gyp reads it).
const args = [gyp, 'rebuild']
const prefix = dirname(dirname(process.execPath))
if (process.env.npm_config_nodedir === undefined && existsSync(join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`)
const r = spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] })
if (r.status !== 0) {
  console.warn('sovereign-relay: building the native data plane failed (no C++ compiler?); the relay will run the TypeScript data path. `npx node-gyp rebuild` retries.')
}
process.exit(0)
