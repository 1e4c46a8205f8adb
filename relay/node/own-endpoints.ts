/**
 * This relay's endpoints as the TURN hairpin guard (relay/peer-safety/relay-services.ts)
 * needs them: every address it can be reached on, the ports of its services (TURN
 * listeners, metrics) and its relayed port range. A wildcard listener (0.0.0.0, ::) is
 * reachable on every local address of its family, so those are listed instead.
 */
import { networkInterfaces } from 'node:os'

import type { PortRange, RelayEndpoints } from '../peer-safety/relay-services.js'

export interface OwnEndpointsInput {
  readonly id: string
  /** Bound listeners (TURN UDP/TCP/TLS) and the metrics listener, if any. */
  readonly services: readonly { readonly host: string; readonly port: number; readonly family: 4 | 6 }[]
  /** Relay addresses and public (advertised) addresses, per family. */
  readonly addresses: readonly (string | undefined)[]
  readonly relayPorts: PortRange | undefined
  /** Local addresses per family (default: the host's interfaces). */
  readonly local?: (family: 4 | 6) => string[]
}

function interfaceAddresses(family: 4 | 6): string[] {
  const out: string[] = []
  for (const list of Object.values(networkInterfaces())) {
    for (const i of list ?? []) if (i.family === (family === 4 ? 'IPv4' : 'IPv6')) out.push(i.address)
  }
  return out
}

export function ownRelayEndpoints(o: OwnEndpointsInput): RelayEndpoints {
  const local = o.local ?? interfaceAddresses
  const addresses = new Set<string>()
  for (const s of o.services) {
    if (s.host === '0.0.0.0' || s.host === '::') for (const a of local(s.family)) addresses.add(a)
    else addresses.add(s.host)
  }
  for (const a of o.addresses) if (a !== undefined) addresses.add(a)
  return {
    id: o.id,
    addresses: [...addresses],
    servicePorts: [...new Set(o.services.map((s) => s.port))],
    ...(o.relayPorts ? { relayPorts: o.relayPorts } : {}),
  }
}
