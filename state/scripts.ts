/**
 * The Lua scripts of the state layer, loaded from `state/scripts/<name>-<keys>.lua`
 * (BullMQ's convention: the file name says how many KEYS the script takes, the file
 * opens with its KEYS/ARGV/returns contract). They are defined on a connection with
 * `defineCommand`, so ioredis sends EVALSHA and falls back to EVAL after a Redis
 * restart flushed the script cache. Every script touches keys of one hash tag only,
 * so it runs unchanged on Redis Cluster.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Cluster, Redis } from 'ioredis'
import { StateError } from './errors.js'

/** Negative script results, one meaning each across all scripts. */
export enum ScriptCode {
  NotFound = -1,
  VersionConflict = -2,
  Ended = -3,
  Banned = -4,
  Exists = -5,
  UnknownParticipant = -6,
  Full = -7,
}

export const SCRIPT_NAMES = [
  'fleet-heartbeat', 'fleet-live', 'fleet-remove',
  'meeting-create', 'meeting-update', 'meeting-end',
  'participant-set', 'participant-view', 'participant-admitted', 'participant-grant',
  'revoke', 'policy-snapshot', 'media-key-rotate',
  'presence-expired',
  'passcode-attempt', 'passcode-succeeded',
  'state-epoch',
] as const
export type ScriptName = (typeof SCRIPT_NAMES)[number]

export interface ScriptDefinition {
  readonly name: ScriptName
  readonly numberOfKeys: number
  readonly lua: string
  /** The command name it is defined under on a connection. */
  readonly command: string
}

/** From source (state/scripts) and from the build (dist/state -> ../../state/scripts). */
function scriptsDir(): string {
  for (const rel of ['./scripts/', '../../state/scripts/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url))
    if (existsSync(dir)) return dir
  }
  throw new StateError('ERR_STATE_SCRIPTS', 'state/scripts directory not found')
}

function load(): ReadonlyMap<ScriptName, ScriptDefinition> {
  const dir = scriptsDir()
  const out = new Map<ScriptName, ScriptDefinition>()
  for (const file of readdirSync(dir)) {
    const m = /^([a-z-]+)-(\d+)\.lua$/.exec(file)
    if (!m) continue
    const name = m[1] as ScriptName
    if (!(SCRIPT_NAMES as readonly string[]).includes(name)) throw new StateError('ERR_STATE_SCRIPTS', `unexpected script ${file}`)
    const command = 'sr' + name.replace(/(^|-)([a-z])/g, (_s, _d: string, c: string) => c.toUpperCase())
    out.set(name, { name, numberOfKeys: Number(m[2]), lua: readFileSync(`${dir}/${file}`, 'utf8'), command })
  }
  for (const name of SCRIPT_NAMES) if (!out.has(name)) throw new StateError('ERR_STATE_SCRIPTS', `missing script state/scripts/${name}-<keys>.lua`)
  return out
}

export const SCRIPTS = load()

export type RedisClient = Redis | Cluster

export function defineScripts(client: RedisClient): void {
  for (const s of SCRIPTS.values()) client.defineCommand(s.command, { numberOfKeys: s.numberOfKeys, lua: s.lua })
}

/** Run a script defined by `defineScripts`; checks the KEYS count against the file name. */
export async function runScript(client: RedisClient, name: ScriptName, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
  const s = SCRIPTS.get(name)!
  if (keys.length !== s.numberOfKeys) throw new TypeError(`script ${name} takes ${s.numberOfKeys} keys, got ${keys.length}`)
  const fn = (client as unknown as Record<string, (...a: (string | number)[]) => Promise<unknown>>)[s.command]
  if (typeof fn !== 'function') throw new TypeError(`script ${name} is not defined on this connection`)
  return fn.call(client, ...keys, ...args)
}
