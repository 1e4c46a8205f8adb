/**
 * The address a client is judged by: attendee geo policy and guarantee 2's endpoint set
 * for a signaling connection, the per-address rate limits for both signaling and the
 * HTTP API. It is the socket's peer address, with IPv4-mapped IPv6 unwrapped so relays
 * compare the same text, unless that peer is a trusted proxy
 * (`regions[].controlPlane.trustedProxies`, default none).
 *
 * From a trusted proxy, X-Forwarded-For is read from the right: each entry was appended
 * by the hop to its right, so an entry is believed only while the hop that appended it is
 * trusted. The answer is the right-most address that is not a trusted proxy; whatever a
 * client wrote further left (a spoofed chain) is never reached. An entry that is not an
 * IP address stops the walk at the trusted hop that passed it on.
 */
import { firstContaining, parseCidr, type Cidr } from '../../geo/address/cidr.js'
import { canonicalIp, formatIp, parseIp, unmapIpv4 } from '../../geo/address/ip-address.js'

/** The socket's peer address in canonical spelling (IPv4-mapped unwrapped); text that is not an address is kept as it is. */
export function normalizeAddress(address: string): string {
  return canonicalIp(address) ?? address
}

/** Whether a (normalized) peer address is a trusted proxy. */
export type TrustedProxy = (peer: string) => boolean

const matchers = new WeakMap<readonly string[], TrustedProxy>()

/**
 * A TrustedProxy for CIDR ranges as the config writes them (already validated there; an
 * unparsable entry trusts nothing). Cached per list, so a reloaded config builds it once.
 */
export function trustedProxies(cidrs: readonly string[]): TrustedProxy | undefined {
  if (cidrs.length === 0) return undefined
  let matcher = matchers.get(cidrs)
  if (!matcher) {
    const ranges = cidrs.map(parseCidr).flatMap((parsed): Cidr[] => (parsed.ok ? [parsed.cidr] : []))
    const bytes = new Uint8Array(16)
    matcher = (peer) => {
      const family = unmapIpv4(parseIp(peer, bytes), bytes)
      return family !== 0 && firstContaining(ranges, family, bytes) !== undefined
    }
    matchers.set(cidrs, matcher)
  }
  return matcher
}

/** One X-Forwarded-For entry as an address: bare, `v4:port`, `[v6]` or `[v6]:port`; undefined otherwise. */
function hopAddress(entry: string): string | undefined {
  let text = entry.trim()
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(text)
  if (bracketed) text = bracketed[1]!
  else if (/^\d{1,3}(\.\d{1,3}){3}:\d{1,5}$/.test(text)) text = text.slice(0, text.lastIndexOf(':'))
  // A bare literal only: a zone id or any other decoration in a forwarded header is not an address.
  const bytes = new Uint8Array(16)
  const family = unmapIpv4(parseIp(text, bytes), bytes)
  return family === 0 ? undefined : formatIp(family, bytes)
}

export function observedAddress(peer: string | undefined, forwardedFor: string | string[] | undefined, trusted?: TrustedProxy): string {
  let current = normalizeAddress(peer ?? '')
  if (!trusted || forwardedFor === undefined) return current
  // Several header lines are one list, in order (RFC 9110 §5.3).
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',')
  for (let i = hops.length - 1; i >= 0 && trusted(current); i--) {
    if (hops[i]!.trim() === '') continue
    const hop = hopAddress(hops[i]!)
    if (hop === undefined) break
    current = hop
  }
  return current
}
