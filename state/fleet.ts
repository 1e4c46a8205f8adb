/**
 * The relay fleet of a region: relays register and heartbeat their load with a short
 * TTL; whoever picks relays (the control plane) reads the live set in one round trip.
 * A relay that stops beating (crash, SIGKILL, partition) leaves the live set when its
 * TTL runs out; a draining relay stays visible but takes no new allocations.
 *
 * Draining has two sources. The relay itself (SIGTERM grace) says so in its heartbeat.
 * An operator (`sovereign relay drain`, the admin API) writes a drain request next to
 * the heartbeats; it is not part of the heartbeat, so the relay's own beats cannot
 * overwrite it, and it has no TTL, so it survives the relay's restarts until cancelled.
 * Reading the fleet merges both (a requested relay reads as draining at once, before it
 * has noticed), and each heartbeat answers with the request so the relay notices within
 * one beat and stops taking allocations itself.
 */
import { channel } from 'node:diagnostics_channel'

import { StateError } from './errors.js'

export interface RelayRegistration {
  readonly id: string
  readonly region: string
  /** Public `host:port` addresses clients reach it at, per transport. */
  readonly udp: readonly string[]
  readonly tcp: readonly string[]
  /** TURN over TLS: `name:port`, the name being the one on the relay's certificate. Absent: no TLS listener (or a relay older than TLS support). */
  readonly tls?: readonly string[]
  /** Relayed transport port range: of its addresses, the only ports other relays may send to (TURN hairpin guard). Absent: an older relay. */
  readonly relayPorts?: { readonly min: number; readonly max: number }
  /** `host:port` of its metrics listener, a service port never to relay to. Absent: none (or an older relay). */
  readonly metrics?: string
  /** Allocations it accepts at most. */
  readonly capacity: number
  /** Software version, so a rollout is visible in the fleet. */
  readonly version: string
  readonly startedAt: number
}

export interface RelayLoad {
  readonly allocations: number
  readonly packetsPerSecond: number
  readonly bytesPerSecond: number
  /** 0..1 of one process's CPU. */
  readonly cpu: number
}

export interface RelayHeartbeat extends RelayRegistration {
  readonly load: RelayLoad
  readonly draining: boolean
  /** When the relay sent it (its clock). */
  readonly sentAt: number
}

/** An operator's request that a relay drain; stays until cancelled. */
export interface DrainRequest {
  /** When it was first requested (ms); requesting again keeps the first time. */
  readonly requestedAt: number
  /** Who asked, for the registry view: e.g. `cli:alice@host`, `admin:ops-1`. */
  readonly by: string
  readonly reason?: string
}

export interface LiveRelay extends RelayHeartbeat {
  /** When it leaves the live set unless it beats again. */
  readonly expiresAt: number
  /** Present while an operator drain request is in force (then `draining` is true). */
  readonly drainRequest?: DrainRequest
}

/** What a heartbeat learns from the registry. */
export interface HeartbeatReply {
  /** The operator drain request for this relay, or null: drain while it is there, resume when it goes. */
  readonly drainRequest: DrainRequest | null
}

export interface RelayDrainRequest extends DrainRequest {
  readonly relayId: string
}

/** Default heartbeat TTL: three missed half-second beats and the relay is gone (config: relay.heartbeat). */
export const DEFAULT_RELAY_TTL_MS = 1500
/** Default heartbeat interval. */
export const DEFAULT_RELAY_HEARTBEAT_MS = 500

export interface FleetStore {
  readonly region: string
  /**
   * Register or refresh; the whole heartbeat is written each time (self-healing after a
   * Redis restart). Answers with the relay's operator drain request, in the same round trip.
   */
  heartbeat(beat: RelayHeartbeat, ttlMs?: number): Promise<HeartbeatReply>
  /** Clean shutdown: leave the live set now rather than at TTL. Resolves true when it was registered. */
  deregister(relayId: string): Promise<boolean>
  /** The live relays of this region (draining ones included), ordered by id. One round trip. */
  liveRelays(): Promise<LiveRelay[]>
  /**
   * Ask a relay to drain (live or not: a relay that is restarting drains as it comes back).
   * Idempotent: a repeated request keeps the first `requestedAt`. Resolves the request in force.
   */
  requestDrain(relayId: string, request: DrainRequest): Promise<DrainRequest>
  /** Withdraw the request; the relay takes allocations again on its next beat. Resolves true when there was one. */
  cancelDrain(relayId: string): Promise<boolean>
  /** Every drain request in force, live relay or not, ordered by relay id. */
  drainRequests(): Promise<RelayDrainRequest[]>
}

/** A relay that may take a new allocation: live, not draining, below capacity. */
export function acceptsAllocations(relay: LiveRelay): boolean {
  return !relay.draining && relay.load.allocations < relay.capacity
}

/** The registry view of a relay while an operator drain request is in force. */
export function drainedView(relay: LiveRelay, request: DrainRequest): LiveRelay {
  return { ...relay, draining: true, drainRequest: request }
}

/** A stored drain request; anything else is corrupt (never written by this code). */
export function parseDrainRequest(json: string): DrainRequest {
  let v: unknown
  try {
    v = JSON.parse(json)
  } catch (err) {
    throw new StateError('ERR_STATE_CORRUPT', `drain request is not JSON: ${json.slice(0, 80)}`, { cause: err })
  }
  const r = v as Partial<DrainRequest> | null
  if (typeof r !== 'object' || r === null || typeof r.requestedAt !== 'number' || typeof r.by !== 'string' || (r.reason !== undefined && typeof r.reason !== 'string')) {
    throw new StateError('ERR_STATE_CORRUPT', `drain request has the wrong shape: ${json.slice(0, 80)}`)
  }
  return { requestedAt: r.requestedAt, by: r.by, ...(r.reason !== undefined ? { reason: r.reason } : {}) }
}

/**
 * Every read of a region's live fleet is timed and published on the `sovereign.fleet.read`
 * diagnostics channel (free when nobody listens): the control plane's metrics turn it into
 * the fleet-read half of relay selection latency without the stores knowing about metrics.
 */
export interface FleetReadTiming {
  readonly region: string
  readonly seconds: number
  readonly ok: boolean
}

export const fleetReadChannel = channel('sovereign.fleet.read')

/** Runs a live-set read and publishes its timing. */
export async function timedFleetRead<T>(region: string, read: () => Promise<T>): Promise<T> {
  if (!fleetReadChannel.hasSubscribers) return read()
  const started = performance.now()
  let ok = false
  try {
    const out = await read()
    ok = true
    return out
  } finally {
    const timing: FleetReadTiming = { region, seconds: (performance.now() - started) / 1000, ok }
    fleetReadChannel.publish(timing)
  }
}
