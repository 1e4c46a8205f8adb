/**
 * Failover (issue 12): every control-plane node watches the live fleet of the regions
 * whose relays it handed to the participants it holds, and reports each relay that left
 * the fleet (its heartbeat expired: crash, SIGKILL, partition) or started draining. The
 * node then moves its own participants of that relay (session.ts `failover`), so each
 * participant hears of one event exactly once: from the one node that holds its socket,
 * whose watch saw the change once. Nothing crosses nodes or regions.
 *
 * A failed read is not "every relay left": it changes nothing, and the next good read is
 * compared with the last good one. The first read of a region is only a baseline.
 *
 * `fleetChanges` is the pure part (tested with tables); the class only owns the timer.
 */
import type { LiveRelay } from '../../state/fleet.js'
import { Rounds } from './rounds.js'

export type FailoverCause = 'relay-lost' | 'relay-draining'

export interface RelayChange {
  readonly region: string
  readonly relayId: string
  readonly cause: FailoverCause
}

/** What is remembered of a region's fleet between reads: each relay and whether it drained. */
export type FleetSnapshot = ReadonlyMap<string, { readonly draining: boolean }>

export function snapshotOf(relays: readonly Pick<LiveRelay, 'id' | 'draining'>[]): FleetSnapshot {
  return new Map(relays.map((r) => [r.id, { draining: r.draining }]))
}

/**
 * The changes from `before` to `after` that move calls: a relay gone (`relay-lost`), or
 * one that was taking allocations and now drains (`relay-draining`). A draining relay that
 * goes is lost too: whoever moved off it at the drain no longer holds it (so nobody moves
 * twice), and whoever could not (no other relay then) moves now. A new relay, or one that
 * stops draining, moves nobody.
 */
export function fleetChanges(region: string, before: FleetSnapshot, after: FleetSnapshot): RelayChange[] {
  const out: RelayChange[] = []
  for (const [relayId, was] of before) {
    const now = after.get(relayId)
    if (now === undefined) {
      out.push({ region, relayId, cause: 'relay-lost' })
    } else if (now.draining && !was.draining) {
      out.push({ region, relayId, cause: 'relay-draining' })
    }
  }
  return out.sort((a, b) => (a.relayId < b.relayId ? -1 : a.relayId > b.relayId ? 1 : 0))
}

export interface RelayWatchOptions {
  /** Regions to watch right now (those of the relays handed to the sessions this node holds). */
  readonly regions: () => Iterable<string>
  readonly liveRelays: (region: string) => Promise<readonly LiveRelay[]>
  /** How often each region's fleet is read; the failover delay after a SIGKILL is about the heartbeat TTL plus this. */
  readonly intervalMs: number
  readonly onChange: (change: RelayChange) => void
  readonly log: (err: unknown, message: string) => void
}

export class RelayWatch {
  readonly intervalMs: number
  readonly #options: RelayWatchOptions
  readonly #last = new Map<string, FleetSnapshot>()
  readonly #rounds: Rounds

  constructor(options: RelayWatchOptions) {
    this.#options = options
    this.intervalMs = Math.max(10, options.intervalMs)
    this.#rounds = new Rounds(this.intervalMs, () => this.#round())
  }

  start(): void {
    this.#rounds.start()
  }

  /** One round over the watched regions; rounds never overlap. Resolves once its changes were reported. */
  tick(): Promise<void> {
    return this.#rounds.tick()
  }

  close(): Promise<void> {
    return this.#rounds.close()
  }

  async #round(): Promise<void> {
    const regions = new Set(this.#options.regions())
    // A region nobody here uses any more is forgotten, so a later first read is a baseline again.
    for (const region of this.#last.keys()) if (!regions.has(region)) this.#last.delete(region)
    await Promise.all([...regions].map(async (region) => {
      let relays: readonly LiveRelay[]
      try {
        relays = await this.#options.liveRelays(region)
      } catch (err) {
        return this.#options.log(err, `fleet watch: ${region} unreadable, no failover decided from it`)
      }
      if (this.#rounds.closed) return
      const after = snapshotOf(relays)
      const before = this.#last.get(region)
      this.#last.set(region, after)
      if (before === undefined) return
      for (const change of fleetChanges(region, before, after)) this.#options.onChange(change)
    }))
  }
}
