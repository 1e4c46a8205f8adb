import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { EventEmitter, once } from 'node:events'
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

import { ConfigError } from '../../config/config-error.js'
import { ConfigStore, type ConfigChange } from '../../config/config-store.js'
import { baseDoc, baseEnv, toYaml, type Doc } from './fixtures.js'

async function tempDir(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sovereign-store-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

/** Writes like an operator should: to a temp file, then rename over the old one. */
async function writeAtomically(file: string, doc: Doc | string): Promise<void> {
  await writeFile(`${file}.tmp`, typeof doc === 'string' ? doc : toYaml(doc))
  await rename(`${file}.tmp`, file)
}

function named(name: string): Doc {
  const doc = baseDoc()
  doc.name = name
  return doc
}

async function openStore(t: Test, doc: Doc = named('first')): Promise<{ store: ConfigStore; file: string }> {
  const file = join(await tempDir(t), 'network.yaml')
  await writeAtomically(file, doc)
  const store = await ConfigStore.open(file, { env: baseEnv })
  t.teardown(() => store.close())
  return { store, file }
}

t.test('a store opened on an invalid file throws its ConfigError', async (t) => {
  const doc = baseDoc()
  doc.regions[0].country = 'XX'
  const file = join(await tempDir(t), 'network.yaml')
  await writeAtomically(file, doc)
  const error = await ConfigStore.open(file, { env: baseEnv }).catch((e: unknown) => e)
  t.ok(error instanceof ConfigError)
  t.same((error as ConfigError).issues.map((issue) => issue.path), ['regions[0].country'])
})

t.test('reloading a valid new file swaps the config and emits change', async (t) => {
  const { store, file } = await openStore(t)
  const first = store.current
  await writeAtomically(file, named('second'))
  const changed = once(store, 'change') as Promise<[ConfigChange]>
  const outcome = await store.reload()
  const [change] = await changed
  t.equal(outcome.ok && outcome.changed, true)
  t.equal(change.config.name, 'second')
  t.equal(change.previous, first)
  t.equal(store.current, change.config)
})

t.test('reloading an invalid file keeps the running config and emits rejected', async (t) => {
  const { store, file } = await openStore(t)
  const running = store.current
  const bad = named('broken')
  bad.tenants[0].defaultRegion = 'ap-south'
  await writeAtomically(file, bad)
  let changes = 0
  store.on('change', () => changes++)
  const rejected = once(store, 'rejected') as Promise<[ConfigError]>
  const outcome = await store.reload()
  const [error] = await rejected
  t.equal(outcome.ok, false)
  t.same(error.issues.map((issue) => [issue.path, issue.rule]), [['tenants[0].defaultRegion', 'region_unknown']])
  t.equal(store.current, running, 'the old config object is still current')
  t.equal(store.lastError, error)
  t.equal(changes, 0)
})

t.test('a file that is not YAML, or is gone, is rejected the same way', async (t) => {
  const { store, file } = await openStore(t)
  const running = store.current
  await writeAtomically(file, 'regions: [\n')
  const syntax = await store.reload()
  t.equal(syntax.ok ? 'ok' : syntax.error.code, 'CONFIG_SYNTAX')
  await rm(file)
  const gone = await store.reload()
  t.equal(gone.ok ? 'ok' : gone.error.code, 'CONFIG_UNREADABLE')
  t.equal(store.current, running)
})

t.test('a good reload after a rejected one clears the error', async (t) => {
  const { store, file } = await openStore(t)
  await writeAtomically(file, 'version: 2\n')
  t.equal((await store.reload()).ok, false)
  await writeAtomically(file, named('fixed'))
  t.equal((await store.reload()).ok, true)
  t.equal(store.lastError, undefined)
  t.equal(store.current.name, 'fixed')
})

t.test('reloading an unchanged file emits nothing', async (t) => {
  const { store } = await openStore(t)
  const before = store.current
  let events = 0
  store.on('change', () => events++)
  const outcome = await store.reload()
  t.equal(outcome.ok && outcome.changed, false)
  t.equal(store.current, before)
  t.equal(events, 0)
})

t.test('concurrent reloads run one after another in call order', async (t) => {
  const { store, file } = await openStore(t)
  await writeAtomically(file, named('second'))
  const names: string[] = []
  store.on('change', ({ config }) => names.push(config.name ?? ''))
  const [a, b] = await Promise.all([store.reload(), store.reload()])
  t.equal(a.ok && a.changed, true)
  t.equal(b.ok && b.changed, false, 'the second reload sees the file the first one already applied')
  t.same(names, ['second'])
})

t.test('watchSighup reloads on the signal and stops when unwatched or closed', async (t) => {
  const { store, file } = await openStore(t)
  const signals = new EventEmitter()
  const unwatch = store.watchSighup(signals)
  t.equal(signals.listenerCount('SIGHUP'), 1)
  await writeAtomically(file, named('by-signal'))
  const changed = once(store, 'change') as Promise<[ConfigChange]>
  signals.emit('SIGHUP')
  t.equal((await changed)[0].config.name, 'by-signal')
  unwatch()
  t.equal(signals.listenerCount('SIGHUP'), 0)
  store.watchSighup(signals)
  store.close()
  t.equal(signals.listenerCount('SIGHUP'), 0, 'close removes the handler')
  await t.rejects(store.reload(), /closed/)
})

t.test('a real SIGHUP makes a running process reload, refusing a bad file and taking a good one', async (t) => {
  const file = join(await tempDir(t), 'network.yaml')
  await writeAtomically(file, named('first'))
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./sighup-child.ts', import.meta.url)), file], {
    env: { ...process.env, ...baseEnv },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const exited = once(child, 'exit')
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await exited
  })
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  const next = async (): Promise<Record<string, unknown>> => {
    const { value, done } = await lines.next()
    if (done === true) throw new Error('child exited early')
    return JSON.parse(value as string) as Record<string, unknown>
  }

  t.same(await next(), { event: 'ready', name: 'first' })

  const bad = named('bad')
  bad.geo.overrides.push({ cidr: '127.1.9.0/24', country: 'FR' })
  await writeAtomically(file, bad)
  child.kill('SIGHUP')
  t.same(await next(), { event: 'rejected', paths: ['geo.overrides[3].cidr'] })

  await writeAtomically(file, named('second'))
  child.kill('SIGHUP')
  t.same(await next(), { event: 'change', name: 'second', previous: 'first' })

  child.kill('SIGTERM')
  const [code] = await exited
  t.equal(code, 0, 'the process was alive until asked to stop')
})

t.test('a change says which sections changed, and a cosmetic edit is no change', async (t) => {
  const { store, file } = await openStore(t)
  const doc = named('first')
  doc.tenants[1].attendeePolicy.countries.push('RU')
  await writeAtomically(file, doc)
  const changed = once(store, 'change') as Promise<[ConfigChange]>
  await store.reload()
  t.same((await changed)[0].changed, ['tenants.beta'])
  const current = store.current
  await writeAtomically(file, `# a comment\n${toYaml(doc)}`)
  const outcome = await store.reload()
  t.equal(outcome.ok && outcome.changed, false)
  t.equal(store.current, current)
})

t.test('reloading a closed store is refused with a coded error', async (t) => {
  const { store } = await openStore(t)
  store.close()
  await t.rejects(store.reload(), { code: 'CONFIG_STORE_CLOSED', name: 'ConfigStoreError' })
})
