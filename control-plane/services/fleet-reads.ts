/**
 * Reads of the live relay fleet, by region, as the control plane makes them: its own
 * region from its own state, another region through the reader it was given (none: no
 * relays there). Reads arriving together share the one in flight (per region): an answer
 * to a read that started a round trip earlier is as fresh as the fleet registry itself
 * is, and a join storm then costs one fleet read per region, not one per join. Nothing
 * is kept once a read has answered.
 */
import type { LiveRelay } from '../../state/fleet.js'

/** `read`, with calls for a key that is being read sharing that read (kept only while it runs). */
export function shareInFlight<K, V>(read: (key: K) => Promise<V>): (key: K) => Promise<V> {
  const inFlight = new Map<K, Promise<V>>()
  return (key) => {
    const pending = inFlight.get(key)
    if (pending) return pending
    const shared = read(key).finally(() => inFlight.delete(key))
    inFlight.set(key, shared)
    return shared
  }
}

export type LiveRelaysOf = (region: string) => Promise<readonly LiveRelay[]>

export interface FleetReadsOptions {
  /** This control plane's region, read from `own`. */
  readonly region: string
  readonly own: { liveRelays(): Promise<readonly LiveRelay[]> }
  /** Live relays of another region; without it another region has none. */
  readonly others?: LiveRelaysOf
}

export function fleetReads(o: FleetReadsOptions): LiveRelaysOf {
  return shareInFlight((region: string) =>
    region === o.region ? o.own.liveRelays() : o.others?.(region) ?? Promise.resolve([]))
}
