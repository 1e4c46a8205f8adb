/**
 * TURN hairpin guard: a relay never relays to a relay's service ports, and of a relay's
 * addresses only its relayed transport addresses are peers.
 *
 * RFC 8656 §9 permissions are per IP address, so a permission for a relay of the meeting
 * (relay-to-relay media, guarantee 2) would otherwise reach every port of that relay —
 * its TURN listeners too. A client could then tunnel TURN requests through its own
 * allocation to the listener, which judges the nested request by the relay's own source
 * address (§21.3: the relay reaches whatever its host reaches). So, for every address
 * of a known relay (this one, and the fleet's):
 *   1. a service port (TURN UDP/TCP/TLS listeners, metrics) → deny (peer_is_relay_service)
 *   2. a port outside that relay's relayed port range → deny (peer_is_relay_service)
 *   3. otherwise it is a relayed transport address → no objection from this guard
 * A relay whose range is not known (registered by an older version) is held to rule 1 only.
 * Several relays may share an address (one host, loopback tests): a port is a relayed
 * one if it is in the range of any of them and a service port of none.
 *
 * The decision is a pure function over a compiled index; `RelayServices` keeps the
 * index of this relay and of the fleet current. Ports matter here, unlike in the rest of
 * peer safety, so it is asked where the port is known: CreatePermission and ChannelBind
 * (XOR-PEER-ADDRESS) and every Send indication — permissions are per IP, so the port a
 * Send names is checked on each one.
 */
import { canonicalIp } from '../../geo/address/ip-address.js'
import { deny, type Verdict } from '../../geo/verdict.js'

export interface PortRange {
  readonly min: number
  readonly max: number
}

/** What is known of one relay: its addresses (any spelling), its service ports, its relayed port range. */
export interface RelayEndpoints {
  readonly id: string
  readonly addresses: readonly string[]
  readonly servicePorts: readonly number[]
  readonly relayPorts?: PortRange
}

interface AddressEntry {
  readonly services: Map<number, string>
  readonly ranges: { range: PortRange; id: string }[]
  readonly ids: string[]
}

export type RelayServiceIndex = ReadonlyMap<string, AddressEntry>

export const EMPTY_RELAY_SERVICE_INDEX: RelayServiceIndex = new Map()

/** Indexes relays by canonical address; addresses that are not IP literals (names, wildcards) are left out. */
export function compileRelayServices(relays: readonly RelayEndpoints[]): RelayServiceIndex {
  const index = new Map<string, AddressEntry>()
  for (const r of relays) {
    for (const a of r.addresses) {
      const ip = canonicalIp(a)
      if (ip === null || ip === '0.0.0.0' || ip === '::') continue
      let e = index.get(ip)
      if (!e) index.set(ip, (e = { services: new Map(), ranges: [], ids: [] }))
      if (!e.ids.includes(r.id)) {
        e.ids.push(r.id)
        for (const p of r.servicePorts) if (!e.services.has(p)) e.services.set(p, r.id)
        if (r.relayPorts) e.ranges.push({ range: r.relayPorts, id: r.id })
      }
    }
  }
  return index
}

/** A deny verdict when `peer` is a relay's service port or outside its relayed ports; undefined when the guard has no objection. */
export function relayServiceVerdict(index: RelayServiceIndex, peer: { readonly address: string; readonly port: number }): Verdict | undefined {
  if (index.size === 0) return undefined
  const ip = canonicalIp(peer.address)
  if (ip === null) return undefined // not an address: peer safety refuses it already
  const e = index.get(ip)
  if (!e) return undefined
  const service = e.services.get(peer.port)
  if (service !== undefined) return deny('peer_is_relay_service', `${ip}:${peer.port} is a service port of relay ${service}`)
  if (e.ranges.length === 0) return undefined
  for (const { range } of e.ranges) if (peer.port >= range.min && peer.port <= range.max) return undefined
  const ranges = e.ranges.map(({ range, id }) => `${id} ${range.min}-${range.max}`).join(', ')
  return deny('peer_is_relay_service', `${ip}:${peer.port} is a relay address outside its relayed ports (${ranges})`)
}

/**
 * The guard a relay holds: its own endpoints (known once its sockets are bound) and the
 * fleet's (read through a source that caches), compiled into one index — relays that
 * share an address must be judged together. `check` is synchronous for the Send path;
 * `refresh` brings the fleet part up to date before a permission or channel decision.
 */
export class RelayServices {
  #own: RelayEndpoints | undefined
  #fleet: readonly RelayEndpoints[] = []
  #index: RelayServiceIndex = EMPTY_RELAY_SERVICE_INDEX
  #fleetSource: (() => Promise<readonly RelayEndpoints[]>) | undefined

  setOwn(own: RelayEndpoints): void {
    this.#own = own
    this.#compile()
  }

  /** Where the fleet's relays are read from (a region relay's FleetView). */
  setFleetSource(source: () => Promise<readonly RelayEndpoints[]>): void {
    this.#fleetSource = source
  }

  /** Reads the fleet source, recompiling only when it returns a new list. */
  async refresh(): Promise<void> {
    if (!this.#fleetSource) return
    const relays = await this.#fleetSource()
    if (relays === this.#fleet) return
    this.#fleet = relays
    this.#compile()
  }

  check(peer: { readonly address: string; readonly port: number }): Verdict | undefined {
    return relayServiceVerdict(this.#index, peer)
  }

  #compile(): void {
    this.#index = compileRelayServices(this.#own ? [this.#own, ...this.#fleet] : this.#fleet)
  }
}
