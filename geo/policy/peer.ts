/**
 * Whether a relay may permit a peer address for a meeting (guarantee 2; RFC 8656 §9
 * permissions are per IP address, so ports play no part).
 *
 * Order matters and every step fails closed:
 *   1. not an address                  → deny (peer_denied_range)
 *   2. in the relay's denied ranges     → deny (peer_denied_range), even for a relay of
 *                                         the meeting: the deny list is absolute, and an
 *                                         operator who runs relays on such ranges allows
 *                                         them explicitly (relay.allowPeers)
 *   3. a relay of the allowed set       → allow (peer_is_relay_of_meeting)
 *   4. an admitted endpoint of meeting  → allow (peer_is_admitted_endpoint)
 *   5. anything else                    → deny (peer_not_in_meeting)
 *
 * The deny list is the relay's (built-in ranges, operator allows and denies); it comes
 * in as a function so this stays pure.
 */
import { canonicalIp } from '../address/ip-address.js'
import { allow, deny, type Verdict } from '../verdict.js'

export interface PeerInput {
  readonly peerIp: string
  /** The relay's peer-safety deny list, asked with the canonical address. */
  readonly isDeniedRange: (canonicalIp: string) => boolean
  /** Addresses of relays in the meeting's allowed region set, canonical (see canonicalAddressSet). */
  readonly relaysOfAllowedSet: ReadonlySet<string>
  /** Addresses of the meeting's admitted endpoints, canonical (see canonicalAddressSet). */
  readonly admittedEndpoints: ReadonlySet<string>
}

export function permitPeer({ peerIp, isDeniedRange, relaysOfAllowedSet, admittedEndpoints }: PeerInput): Verdict {
  const ip = canonicalIp(peerIp)
  if (ip === null) return deny('peer_denied_range', 'not an address')
  if (isDeniedRange(ip)) return deny('peer_denied_range', ip)
  if (relaysOfAllowedSet.has(ip)) return allow('peer_is_relay_of_meeting', ip)
  if (admittedEndpoints.has(ip)) return allow('peer_is_admitted_endpoint', ip)
  return deny('peer_not_in_meeting', ip)
}

/**
 * Canonical IP set from addresses in any accepted form, transport addresses included
 * (`[::ffff:1.2.3.4]:3478` and `1.2.3.4:3478` → `1.2.3.4`). Entries that are not
 * addresses are left out — they can never match a peer.
 */
export function canonicalAddressSet(addresses: Iterable<string>): ReadonlySet<string> {
  const out = new Set<string>()
  for (const a of addresses) {
    // IPv4 `host:port` has exactly one colon; IPv6 ports come bracketed.
    const colon = a.indexOf(':')
    const host = colon > 0 && colon === a.lastIndexOf(':') && !a.startsWith('[') ? a.slice(0, colon) : a
    const c = canonicalIp(host)
    if (c !== null) out.add(c)
  }
  return out
}
