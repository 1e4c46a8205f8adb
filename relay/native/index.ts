/**
 * The typed face of the native forwarding engine (relay/native/src/, C++17 over Node-API).
 * It mirrors the C++ `Engine` one to one: TypeScript installs allocations, permissions
 * and channels; the engine forwards ChannelData on them in batches on its data threads,
 * counts, applies the token bucket, and hands every other datagram back through
 * `onPackets`. Loaded with node-gyp-build, so a prebuilt binary can ship later; when it
 * cannot be loaded, `loadEngine()` says why and the relay runs the TypeScript data path.
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** One data thread's counters since start (the engine's ThreadStats). */
export interface DataThreadStats {
  readonly rxPackets: number
  readonly rxBytes: number
  readonly txPackets: number
  readonly txBytes: number
  /** recvmmsg calls that returned datagrams, and how many they returned in all. */
  readonly batches: number
  readonly batchedPackets: number
  readonly maxBatch: number
  /** Datagrams handed to the TypeScript server, and the batches they went in. */
  readonly handedUp: number
  readonly handUpBatches: number
  /** Wake-ups after which the thread waited for the TypeScript server to run its earlier batches (it was behind) instead of waking for each datagram. */
  readonly handUpWaits: number
  /** sendmmsg calls, the messages they carried, and the UDP GSO messages among them (gsoDatagrams datagrams in all); gsoFallbacks: GSO messages refused and sent one datagram each. */
  readonly sendCalls: number
  readonly sendMessages: number
  readonly gsoMessages: number
  readonly gsoDatagrams: number
  readonly gsoFallbacks: number
  /** Buffers from peers that UDP GRO coalesced (a burst the peer sent as one GSO message), and the datagrams they held. */
  readonly groMessages: number
  readonly groDatagrams: number
  readonly drops: { readonly bandwidth: number; readonly malformed: number; readonly truncated: number; readonly sendFailed: number; readonly handUpFull: number }
  readonly cpuSeconds: number
}

/**
 * A batch handed up from data thread `thread`: per packet six numbers in `meta` —
 * kind (0: from a client on listener `ref`; 1: from a peer on allocation `ref`'s relayed
 * socket), ref, port, family, offset and length in `data` — and its source address.
 */
export type OnPackets = (thread: number, meta: Uint32Array, addresses: string[], data: Buffer) => void

export const PACKET_FROM_CLIENT = 0
export const PACKET_FROM_PEER = 1

/** The addon's class, as relay/native/src/addon.cc defines it. */
export interface NativeEngine {
  readonly threads: number
  readonly relaySockets: number
  /**
   * One SO_REUSEPORT socket per data thread: [listener index, port], or -errno. A port some
   * other process holds is refused (EADDRINUSE) unless `shared` (--reuse-port) says join it.
   */
  listen(family: 4 | 6, host: string, port: number, bufferBytes: number, shared?: boolean): [number, number] | number
  closeListener(listener: number): void
  /** 0 or -errno (-98: EADDRINUSE, -13: EACCES). */
  bindRelay(id: number, thread: number, family: 4 | 6, host: string, port: number, bufferBytes: number, bandwidthBytesPerSecond: number): number
  setClient(id: number, listener: number, address: string, port: number): boolean
  /** ttlMs <= 0 removes. */
  setPermission(id: number, address: string, ttlMs: number): boolean
  setChannel(id: number, number: number, address: string, port: number, ttlMs: number): boolean
  /** Takes bytes from the allocation's token bucket (the one the engine forwards with): 1 taken, 0 refused, -1 unknown allocation or closed engine. */
  takeTokens(id: number, bytes: number): number
  /** Removes the allocation; returns its last counters (see `COUNTERS`), undefined when unknown. */
  closeRelay(id: number): Float64Array | undefined
  sendClient(listener: number, address: string, port: number, data: Buffer): number
  sendPeer(id: number, address: string, port: number, data: Buffer): number
  /** Rows of [id, ...COUNTERS] for the allocations that moved anything since the last call. */
  collect(): Float64Array
  stats(): DataThreadStats[]
  close(): void
}

/** The order of per-allocation counters in `collect()` rows (after the id) and `closeRelay()`. */
export const COUNTERS = ['toPeerBytes', 'toPeerPackets', 'toClientBytes', 'toClientPackets', 'droppedBandwidth'] as const

export type EngineLoad =
  | { readonly ok: true; readonly Engine: new (threads: number, onPackets: OnPackets) => NativeEngine }
  | { readonly ok: false; readonly reason: string }

/** The addon's exports, or why it could not be loaded (once per process). */
export type AddonLoad = { readonly ok: true; readonly addon: Readonly<Record<string, unknown>> } | { readonly ok: false; readonly reason: string }

let addonLoad: AddonLoad | undefined
let loaded: EngineLoad | undefined

/** Loads the addon once (node-gyp-build looks in build/ and prebuilds/ under the package root). */
export function loadAddon(): AddonLoad {
  if (addonLoad) return addonLoad
  if (process.env.SOVEREIGN_NATIVE_DISABLED === '1') return (addonLoad = { ok: false, reason: 'SOVEREIGN_NATIVE_DISABLED=1' })
  const root = packageRoot()
  if (root === undefined) return (addonLoad = { ok: false, reason: 'binding.gyp not found above relay/native' })
  try {
    const require = createRequire(import.meta.url)
    // SOVEREIGN_NATIVE_ADDON: a .node file of its own, e.g. the ASan build of relay/native/asan.sh.
    const override = process.env.SOVEREIGN_NATIVE_ADDON
    const gypBuild = require('node-gyp-build') as (dir: string) => Record<string, unknown>
    return (addonLoad = { ok: true, addon: override ? (require(override) as Record<string, unknown>) : gypBuild(root) })
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0] : String(err)
    return (addonLoad = { ok: false, reason: `the native addon did not load (${message}); build it with \`npx node-gyp rebuild\`` })
  }
}

/** The engine class of the addon, or why there is none. */
export function loadEngine(): EngineLoad {
  if (loaded) return loaded
  const load = loadAddon()
  if (!load.ok) return (loaded = load)
  const Engine = load.addon.Engine
  if (typeof Engine !== 'function') return (loaded = { ok: false, reason: 'the addon has no Engine export' })
  return (loaded = { ok: true, Engine: Engine as new (threads: number, onPackets: OnPackets) => NativeEngine })
}

/** The folder holding binding.gyp: the repository root from the sources and from dist/. */
function packageRoot(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'binding.gyp'))) return dir
    dir = dirname(dir)
  }
  return undefined
}
