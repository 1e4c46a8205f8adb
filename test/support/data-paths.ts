/**
 * The relay's end-to-end tests run on both UDP data paths (STYLE.md principle 11: one
 * TypeScript fallback that passes the same tests). A test file runs on the default path
 * (the native engine where its addon loads); a `*-ts-path.test.ts` twin imports that same
 * file again with the TypeScript path forced, so `npm test` covers both without a copy
 * of any test. SOVEREIGN_DATA_PATH=native|ts runs every relay on one path instead, and
 * then the twins stand aside.
 */
import t from 'tap'

import { loadEngine } from '../../relay/native/index.js'
import { startRelayNode } from '../../relay/relay-node.js'

export async function onTsPath(load: () => Promise<unknown>): Promise<void> {
  const forced = process.env.SOVEREIGN_DATA_PATH
  const engine = loadEngine()
  if (forced !== undefined && forced !== '' && forced !== 'auto') {
    t.pass(`SOVEREIGN_DATA_PATH=${forced}: the tests ran on that path in their own file`)
    return
  }
  if (!engine.ok) {
    t.pass(`the native engine is not loaded (${engine.reason}): the default run was already the TypeScript path`)
    return
  }
  process.env.SOVEREIGN_DATA_PATH = 'ts'
  t.test('relays started by these tests run the TypeScript data path', async (t) => {
    const node = await startRelayNode({ listen: ['127.0.0.1:0'], secrets: ['ts-path-secret'] })
    t.teardown(() => node.close())
    t.same(node.sockets.dataPath, { kind: 'ts', threads: 1 })
  })
  await load()
}
