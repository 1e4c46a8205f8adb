/**
 * The relay fleet of a region: relays register and heartbeat their load with a short
 * TTL; whoever picks relays (the control plane) reads the live set in one round trip.
 * A relay that stops beating (crash, SIGKILL, partition) leaves the live set when its
 * TTL runs out; a draining relay stays visible but takes no new allocations.
 */
export interface RelayRegistration {
  readonly id: string
  readonly region: string
  /** Public `host:port` addresses clients reach it at, per transport. */
  readonly udp: readonly string[]
  readonly tcp: readonly string[]
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

export interface LiveRelay extends RelayHeartbeat {
  /** When it leaves the live set unless it beats again. */
  readonly expiresAt: number
}

/** Default heartbeat TTL: three missed one-second beats and the relay is gone. */
export const DEFAULT_RELAY_TTL_MS = 3000

export interface FleetStore {
  readonly region: string
  /** Register or refresh; the whole heartbeat is written each time (self-healing after a Redis restart). */
  heartbeat(beat: RelayHeartbeat, ttlMs?: number): Promise<void>
  /** Clean shutdown: leave the live set now rather than at TTL. Resolves true when it was registered. */
  deregister(relayId: string): Promise<boolean>
  /** The live relays of this region (draining ones included), ordered by id. One round trip. */
  liveRelays(): Promise<LiveRelay[]>
}

/** A relay that may take a new allocation: live, not draining, below capacity. */
export function acceptsAllocations(relay: LiveRelay): boolean {
  return !relay.draining && relay.load.allocations < relay.capacity
}
