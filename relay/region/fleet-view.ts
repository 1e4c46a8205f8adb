/**
 * The addresses of the live relays of a set of regions, as a relay needs them to decide
 * whether a peer is "a relay of the meeting's allowed set" (guarantee 2). Read from each
 * region's own fleet registry and cached briefly: a permission check must not cost a
 * round trip to every region. When a region cannot be read, its last-known addresses
 * are used for at most `maxStaleMs`, then the region counts as having no relays (fail
 * closed: an unverifiable relay is not a relay of the set).
 */
import { canonicalAddressSet } from '../../geo/policy/peer.js'
import type { RegionState } from '../../state/region-state.js'

interface Entry {
  addresses: ReadonlySet<string>
  fetchedAt: number
  pending?: Promise<ReadonlySet<string>> | undefined
}

export interface FleetViewOptions {
  readonly region: (id: string) => RegionState
  readonly ttlMs?: number
  readonly maxStaleMs?: number
  readonly now?: () => number
}

export class FleetView {
  readonly #region: (id: string) => RegionState
  readonly #ttl: number
  readonly #maxStale: number
  readonly #now: () => number
  readonly #entries = new Map<string, Entry>()

  constructor(o: FleetViewOptions) {
    this.#region = o.region
    this.#ttl = o.ttlMs ?? 1000
    this.#maxStale = o.maxStaleMs ?? 30_000
    this.#now = o.now ?? Date.now
  }

  /** Canonical IPs of the live relays (draining included: they still carry media) of `regions`. */
  async addresses(regions: readonly string[]): Promise<ReadonlySet<string>> {
    const sets = await Promise.all(regions.map((r) => this.#regionAddresses(r)))
    if (sets.length === 1) return sets[0]!
    const out = new Set<string>()
    for (const s of sets) for (const a of s) out.add(a)
    return out
  }

  async #regionAddresses(region: string): Promise<ReadonlySet<string>> {
    const now = this.#now()
    const e = this.#entries.get(region)
    if (e && now - e.fetchedAt < this.#ttl) return e.addresses
    if (e?.pending) return e.pending
    const pending = this.#region(region).fleet.liveRelays().then(
      (relays) => {
        const addresses = canonicalAddressSet(relays.flatMap((r) => [...r.udp, ...r.tcp]))
        this.#entries.set(region, { addresses, fetchedAt: this.#now() })
        return addresses
      },
      () => {
        const last = this.#entries.get(region)
        if (last) last.pending = undefined
        if (last && this.#now() - last.fetchedAt < this.#maxStale) return last.addresses
        return new Set<string>()
      },
    )
    this.#entries.set(region, { addresses: e?.addresses ?? new Set(), fetchedAt: e?.fetchedAt ?? -Infinity, pending })
    return pending
  }
}
