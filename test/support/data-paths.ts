/**
 * The UDP data paths the relay's end-to-end tests run on: the native engine and the
 * TypeScript (dgram) fallback, so both pass the same tests (STYLE.md principle 11).
 * SOVEREIGN_DATA_PATH=native|ts runs one; unset, both — native only where its addon loads
 * (a machine without a compiler runs the TypeScript path and says so).
 */
import { loadEngine } from '../../relay/native/index.js'

export type TestDataPath = 'native' | 'ts'

export function dataPaths(): TestDataPath[] {
  const forced = process.env.SOVEREIGN_DATA_PATH
  if (forced === 'native' || forced === 'ts') return [forced]
  const load = loadEngine()
  if (!load.ok) {
    console.error(`# the native data path is not tested here: ${load.reason}`)
    return ['ts']
  }
  return ['native', 'ts']
}
