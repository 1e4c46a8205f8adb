/**
 * The addresses of the live relays of a set of regions, as a relay needs them to decide
 * whether a peer is "a relay of the meeting's allowed set" (guarantee 2). Read from each
 * region's own fleet registry and cached briefly: a permission check must not cost a
 * round trip to every region. When a region cannot be read, its last-known addresses
 * are used for at most `maxStaleMs`, then the region counts as having no relays (fail
 * closed: an unverifiable relay is not a relay of the set).
 */
import { canonicalAddressSet } from '../../geo/policy/peer.js'
import type { LiveRelay } from '../../state/fleet.js'
import type { RegionState } from '../../state/region-state.js'
import type { RelayEndpoints } from '../peer-safety/relay-services.js'

interface Entry {
  addresses: ReadonlySet<string>
  /** The same relays as the TURN hairpin guard needs them (service ports, relayed ports). */
  relays: readonly RelayEndpoints[]
  fetchedAt: number
  pending?: Promise<Entry> | undefined
}

const NO_RELAYS: readonly RelayEndpoints[] = []

/** `host:port`, `[v6]:port` or `name:port` → its parts (the port as a number). */
function splitHostPort(s: string): { host: string; port: number } | undefined {
  const colon = s.lastIndexOf(':')
  if (colon <= 0) return undefined
  const port = Number(s.slice(colon + 1))
  if (!Number.isInteger(port) || port < 1 || port > 65535) return undefined
  return { host: s.slice(0, colon).replace(/^\[|\]$/g, ''), port }
}

function endpointsOf(r: LiveRelay): RelayEndpoints {
  const listeners = [...r.udp, ...r.tcp, ...(r.metrics !== undefined ? [r.metrics] : [])].flatMap((s) => splitHostPort(s) ?? [])
  // TLS entries carry the certificate's name, not an address: only their ports count.
  const tls = (r.tls ?? []).flatMap((s) => splitHostPort(s) ?? [])
  return {
    id: r.id,
    addresses: [...new Set(listeners.map((l) => l.host))],
    servicePorts: [...new Set([...listeners, ...tls].map((l) => l.port))],
    ...(r.relayPorts ? { relayPorts: r.relayPorts } : {}),
  }
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
  #combined: { parts: readonly (readonly RelayEndpoints[])[]; relays: readonly RelayEndpoints[] } | undefined

  constructor(o: FleetViewOptions) {
    this.#region = o.region
    this.#ttl = o.ttlMs ?? 1000
    this.#maxStale = o.maxStaleMs ?? 30_000
    this.#now = o.now ?? Date.now
  }

  /** Canonical IPs of the live relays (draining included: they still carry media) of `regions`. */
  async addresses(regions: readonly string[]): Promise<ReadonlySet<string>> {
    const sets = (await Promise.all(regions.map((r) => this.#regionEntry(r)))).map((e) => e.addresses)
    if (sets.length === 1) return sets[0]!
    const out = new Set<string>()
    for (const s of sets) for (const a of s) out.add(a)
    return out
  }

  /**
   * The live relays of `regions` with their service and relayed ports (TURN hairpin
   * guard). The same array comes back while nothing changed, so callers can skip work.
   */
  async endpoints(regions: readonly string[]): Promise<readonly RelayEndpoints[]> {
    const parts = await Promise.all(regions.map((r) => this.#regionRelays(r)))
    const last = this.#combined
    if (last && last.parts.length === parts.length && last.parts.every((p, i) => p === parts[i])) return last.relays
    this.#combined = { parts, relays: parts.length === 1 ? parts[0]! : parts.flat() }
    return this.#combined.relays
  }

  /**
   * Stale-while-revalidate: a region's first read is awaited; after that its last list
   * (within `maxStale`) is used at once while a fresh read runs, so a slow region's Redis
   * does not slow every permission decision of every relay (endpoints cover all regions).
   */
  #regionRelays(region: string): readonly RelayEndpoints[] | Promise<readonly RelayEndpoints[]> {
    const e = this.#entries.get(region)
    const age = this.#now() - (e?.fetchedAt ?? -Infinity)
    if (e && age < this.#maxStale) {
      if (age >= this.#ttl) void this.#regionEntry(region)
      return e.relays
    }
    return this.#regionEntry(region).then((x) => x.relays)
  }

  async #regionEntry(region: string): Promise<Entry> {
    const now = this.#now()
    const e = this.#entries.get(region)
    if (e && now - e.fetchedAt < this.#ttl) return e
    if (e?.pending) return e.pending
    const pending = this.#region(region).fleet.liveRelays().then(
      (relays) => {
        const fresh: Entry = { addresses: canonicalAddressSet(relays.flatMap((r) => [...r.udp, ...r.tcp])), relays: relays.map(endpointsOf), fetchedAt: this.#now() }
        this.#entries.set(region, fresh)
        return fresh
      },
      (): Entry => {
        const last = this.#entries.get(region)
        if (last) last.pending = undefined
        if (last && this.#now() - last.fetchedAt < this.#maxStale) return last
        return { addresses: new Set<string>(), relays: NO_RELAYS, fetchedAt: -Infinity }
      },
    )
    this.#entries.set(region, { addresses: e?.addresses ?? new Set(), relays: e?.relays ?? NO_RELAYS, fetchedAt: e?.fetchedAt ?? -Infinity, pending })
    return pending
  }
}
