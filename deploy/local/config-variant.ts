/**
 * The local network runs the example config as it is, except when no Redis answers:
 * then every region's state goes to the in-process memory store (`redis: { memory: true }`),
 * written as a variant of the file in a temporary directory (the control plane reads a
 * path). Only the `redis` entries change; everything else is the file's own text.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseDocument } from 'yaml'

export interface ConfigVariant {
  readonly path: string
  remove(): Promise<void>
}

export async function writeMemoryVariant(configPath: string): Promise<ConfigVariant> {
  const doc = parseDocument(await readFile(configPath, 'utf8'))
  const regions = doc.get('regions', true)
  const count = regions !== null && typeof regions === 'object' && 'items' in regions && Array.isArray(regions.items) ? regions.items.length : 0
  for (let i = 0; i < count; i++) doc.setIn(['regions', i, 'redis'], doc.createNode({ memory: true }))
  const dir = await mkdtemp(join(tmpdir(), 'sovereign-local-'))
  const path = join(dir, 'local-network.memory.yaml')
  await writeFile(path, String(doc), 'utf8')
  return { path, remove: () => rm(dir, { recursive: true, force: true }) }
}
