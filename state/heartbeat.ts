/**
 * A relay's heartbeat loop: registers at once, then beats every `intervalMs` with a
 * `ttlMs` TTL (0.5 s / 1.5 s: two beats may be lost before the relay leaves the live set).
 * Timers are injected so tests step it by hand. A beat never overlaps the previous one
 * (a hung Redis does not pile up calls); failures go to `onError`, and the loop keeps
 * going, so the relay re-registers by itself once Redis is back.
 *
 * Each beat's reply carries the operator's drain request (state/fleet.ts); `onBeat`
 * hands it to the relay, which drains while it is there and resumes when it goes.
 */
import { DEFAULT_RELAY_HEARTBEAT_MS, DEFAULT_RELAY_TTL_MS, type FleetStore, type HeartbeatReply, type RelayHeartbeat } from './fleet.js'

export interface HeartbeatTimers {
  setInterval(fn: () => void, ms: number): unknown
  clearInterval(handle: unknown): void
}

export interface HeartbeatOptions {
  readonly fleet: FleetStore
  /** Builds the current heartbeat (registration, load, draining) each time. */
  readonly beat: () => RelayHeartbeat
  readonly onError: (err: unknown) => void
  readonly intervalMs?: number
  readonly ttlMs?: number
  readonly timers?: HeartbeatTimers
  /** After each successful beat, with what the registry answered (operator drain request). */
  readonly onBeat?: (beat: RelayHeartbeat, reply: HeartbeatReply) => void
}

export interface HeartbeatLoop {
  /** Beat now (also what the timer calls); resolves when written or failed. */
  beatNow(): Promise<void>
  /** Stop beating; with `deregister` leave the live set now instead of at TTL. */
  stop(options?: { deregister?: boolean }): Promise<void>
}

const realTimers: HeartbeatTimers = {
  setInterval: (fn, ms) => {
    const t = setInterval(fn, ms)
    t.unref()
    return t
  },
  clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
}

export function startHeartbeat(options: HeartbeatOptions): HeartbeatLoop {
  const { fleet, onError } = options
  const intervalMs = options.intervalMs ?? DEFAULT_RELAY_HEARTBEAT_MS
  const ttlMs = options.ttlMs ?? DEFAULT_RELAY_TTL_MS
  const timers = options.timers ?? realTimers
  let pending: Promise<void> | undefined
  let stopped = false

  const beatNow = (): Promise<void> => {
    if (stopped) return Promise.resolve()
    if (pending) return pending
    const beat = options.beat()
    pending = fleet.heartbeat(beat, ttlMs).then(
      (reply) => options.onBeat?.(beat, reply),
      (err: unknown) => onError(err),
    ).finally(() => {
      pending = undefined
    })
    return pending
  }

  const handle = timers.setInterval(() => void beatNow(), intervalMs)
  void beatNow()

  return {
    beatNow,
    async stop({ deregister = false } = {}) {
      if (stopped) return
      stopped = true
      timers.clearInterval(handle)
      await pending
      if (deregister) await fleet.deregister(options.beat().id)
    },
  }
}
