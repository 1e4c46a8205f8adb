/**
 * The address a signaling connection is judged by (attendee geo policy, guarantee 2's
 * endpoint set). The socket's peer address, with IPv4-mapped IPv6 unwrapped so relays
 * compare the same text; X-Forwarded-For is honoured only when the peer is a configured
 * trusted proxy, and then only its right-most entry (the one the proxy itself added).
 */
import ipaddr from 'ipaddr.js'

export function normalizeAddress(address: string): string {
  try {
    const parsed = ipaddr.parse(address)
    if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) return (parsed as ipaddr.IPv6).toIPv4Address().toString()
    return parsed.toString()
  } catch {
    return address
  }
}

export type TrustedProxy = (peer: string) => boolean

export function observedAddress(peer: string | undefined, forwardedFor: string | string[] | undefined, trusted?: TrustedProxy): string {
  const direct = normalizeAddress(peer ?? '')
  if (!trusted || !trusted(direct) || forwardedFor === undefined) return direct
  const header = Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor
  const hops = header.split(',').map((h) => h.trim()).filter((h) => h.length > 0)
  const last = hops[hops.length - 1]
  return last !== undefined && ipaddr.isValid(last) ? normalizeAddress(last) : direct
}
