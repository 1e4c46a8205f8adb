/**
 * Peer safety: may the relay send to this peer address? (RFC 8656 §9.1/§11: permission
 * is the server's policy; §21.3 warns that a relay reaches whatever its host reaches.)
 *
 * The default deny list is the project's one special-range table, and "is this address
 * special" is the one decision in geo/address/special-use.ts that the geo lookup shares;
 * this file adds only the operator's lists. `compilePeerPolicy` parses them once;
 * `checkPeer` runs per CreatePermission/ChannelBind, not per packet.
 *
 * Rules, in order, for the literal address and for every IPv4 address it embeds:
 *   1. an operator deny range matches → denied (an explicit deny beats any allow);
 *   2. the address is special-use and no operator allow range contains the address
 *      that made it so → denied, naming the most specific special range;
 *   3. otherwise allowed.
 * An allow range only lifts a default deny for addresses it contains, so allowing
 * 127.0.0.1/32 leaves 127.0.0.2 denied, and allowing 127.0.0.0/8 does not open ::1.
 * Text that is not exactly an IP address (octal/hex IPv4 forms, zone ids, brackets) is
 * denied, since a resolver may read it differently from us.
 */
import { firstContaining, formatCidr, parseCidr, type Cidr } from '../../geo/address/cidr.js'
import { embeddedIpv4, type Ipv4Embedding } from '../../geo/address/embedded-ipv4.js'
import { parseIp } from '../../geo/address/ip-address.js'
import { specialRangeNamed } from '../../geo/address/special-ranges.js'
import { specialUses } from '../../geo/address/special-use.js'
import { RelayError } from '../errors.js'

export interface PeerPolicyInput {
  /** CIDRs the operator allows even though a default range denies them (e.g. 127.0.0.0/8 in tests). */
  allow?: readonly string[]
  /** CIDRs denied in addition to the defaults; they win over `allow`. */
  deny?: readonly string[]
}

export interface PeerPolicy {
  /** Most specific first, so a check names the narrowest operator range. */
  readonly allow: readonly Cidr[]
  readonly deny: readonly Cidr[]
}

export type PeerCheck =
  | { allow: true; /** the operator range that lifted a default deny */ override?: string }
  | { allow: false; range: string; /** the IPv6 disguise the denied IPv4 address hid in */ via?: Ipv4Embedding }

export class PeerPolicyError extends RelayError<'ERR_PEER_POLICY_CIDR'> {
  constructor(message: string) {
    super('ERR_PEER_POLICY_CIDR', message)
  }
}

function compileList(cidrs: readonly string[]): Cidr[] {
  return cidrs
    .map((text) => {
      const parsed = parseCidr(text)
      if (!parsed.ok) throw new PeerPolicyError(`not a CIDR range: ${parsed.reason}`)
      return parsed.cidr
    })
    .sort((a, b) => b.prefix - a.prefix)
}

export function compilePeerPolicy(input: PeerPolicyInput = {}): PeerPolicy {
  return Object.freeze({ allow: compileList(input.allow ?? []), deny: compileList(input.deny ?? []) })
}

const ALLOWED: PeerCheck = Object.freeze({ allow: true })
const INVALID: PeerCheck = Object.freeze({ allow: false, range: 'invalid-address' })

export function checkPeer(address: string, policy: PeerPolicy): PeerCheck {
  const bytes = new Uint8Array(16)
  const family = parseIp(address, bytes)
  if (family === 0) return INVALID

  // 1. operator deny ranges, for the literal address and every IPv4 address it embeds
  const denied = firstContaining(policy.deny, family, bytes)
  if (denied) return { allow: false, range: formatCidr(denied) }
  if (family === 6) {
    for (const embedded of embeddedIpv4(bytes)) {
      const hit = firstContaining(policy.deny, 4, embedded.bytes)
      if (hit) return { allow: false, range: formatCidr(hit), via: embedded.form }
    }
  }

  // 2. special-use, unless the operator allows the address that made it so
  let override: string | undefined
  for (const use of specialUses(family, bytes)) {
    const lifted = use.via ? firstContaining(policy.allow, 4, use.via.ipv4) : firstContaining(policy.allow, family, bytes)
    if (!lifted) return use.via ? { allow: false, range: use.range.cidr, via: use.via.form } : { allow: false, range: use.range.cidr }
    override ??= formatCidr(lifted)
  }
  return override ? { allow: true, override } : ALLOWED
}

/** Human-readable explanation of a denial, for logs and the audit stream. */
export function describePeerCheck(address: string, check: PeerCheck): string {
  if (check.allow) return check.override ? `${address} allowed by operator range ${check.override}` : `${address} allowed`
  const named = specialRangeNamed(check.range)
  const what = named ? `${check.range} ${named.name}` : check.range
  return check.via ? `${address} denied: ${check.via} form of an address in ${what}` : `${address} denied: ${what}`
}
