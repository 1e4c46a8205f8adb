/**
 * Peer safety: may the relay send to this peer address? (RFC 8656 §9.1/§11: permission
 * is the server's policy; §21.3 warns that a relay reaches whatever its host reaches.)
 *
 * `compilePeerPolicy` turns CIDR text into masks once; `checkPeer` is then a handful of
 * integer compares per address — it runs per CreatePermission/ChannelBind, not per packet.
 *
 * Rules, in order, for the literal address and for every IPv4 address it embeds:
 *   1. an operator deny range matches → denied (an explicit deny beats any allow);
 *   2. a default denied range matches and no operator allow range contains the address
 *      → denied, naming the most specific default range;
 *   3. otherwise allowed.
 * An allow range only lifts a default deny for addresses it contains, so allowing
 * 127.0.0.1/32 leaves 127.0.0.2 denied, and allowing 127.0.0.0/8 does not open ::1.
 * Text that is not a canonical IP address (octal/hex IPv4 forms, zone ids) is denied,
 * since a resolver may read it differently from us.
 */
import { RelayError } from '../errors.js'
import { ipv6ToString, writeIpv6 } from '../proto/ip-bytes.js'
import { DEFAULT_DENIED_IPV4, DEFAULT_DENIED_IPV6, type NamedRange } from './denied-ranges.js'
import { type Ipv4Embedding, embeddedIpv4, ipv4ToText, isIpv4EmbeddingInReservedBlock } from './embedded-ipv4.js'

export interface PeerPolicyInput {
  /** CIDRs the operator allows even though a default range denies them (e.g. 127.0.0.0/8 in tests). */
  allow?: readonly string[]
  /** CIDRs denied in addition to the defaults; they win over `allow`. */
  deny?: readonly string[]
}

interface Rule4 {
  net: number
  mask: number
  bits: number
  cidr: string
}

interface Rule6 {
  bytes: Uint8Array
  bits: number
  cidr: string
}

export interface PeerPolicy {
  readonly allow4: readonly Rule4[]
  readonly allow6: readonly Rule6[]
  readonly deny4: readonly Rule4[]
  readonly deny6: readonly Rule6[]
  readonly default4: readonly Rule4[]
  readonly default6: readonly Rule6[]
}

export type PeerCheck =
  | { allow: true; /** the operator range that lifted a default deny */ override?: string }
  | { allow: false; range: string; /** the IPv6 disguise the denied IPv4 address hid in */ via?: Ipv4Embedding }

export class PeerPolicyError extends RelayError {
  constructor(message: string) {
    super('ERR_PEER_POLICY_CIDR', message)
    this.name = 'PeerPolicyError'
  }
}

function parseCidr(cidr: string): Rule4 | Rule6 {
  const text = cidr.trim()
  const slash = text.indexOf('/')
  const host = slash < 0 ? text : text.slice(0, slash)
  const bitsText = slash < 0 ? undefined : text.slice(slash + 1)
  const v6 = host.indexOf(':') >= 0
  const max = v6 ? 128 : 32
  const bits = bitsText === undefined ? max : /^[0-9]{1,3}$/.test(bitsText) ? Number(bitsText) : -1
  if (bits < 0 || bits > max) throw new PeerPolicyError(`not a CIDR range: ${JSON.stringify(cidr)}`)
  if (!v6) {
    const v = parseIpv4(host)
    if (v < 0) throw new PeerPolicyError(`not a CIDR range: ${JSON.stringify(cidr)}`)
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0
    const net = (v & mask) >>> 0
    return { net, mask, bits, cidr: `${ipv4ToText(net)}/${bits}` }
  }
  const bytes = new Uint8Array(16)
  if (host.indexOf('%') >= 0 || !writeIpv6(host, bytes, 0)) throw new PeerPolicyError(`not a CIDR range: ${JSON.stringify(cidr)}`)
  for (let i = 0; i < 16; i++) {
    const keep = Math.max(0, Math.min(8, bits - 8 * i))
    bytes[i]! &= (0xff00 >> keep) & 0xff
  }
  return { bytes, bits, cidr: `${ipv6ToString(Buffer.from(bytes), 0)}/${bits}` }
}

const isRule4 = (r: Rule4 | Rule6): r is Rule4 => 'mask' in r
const bySpecificity = <T extends { bits: number }>(a: T, b: T): number => b.bits - a.bits

function compileList(cidrs: readonly string[]): { v4: Rule4[]; v6: Rule6[] } {
  const v4: Rule4[] = []
  const v6: Rule6[] = []
  for (const c of cidrs) {
    const r = parseCidr(c)
    if (isRule4(r)) v4.push(r)
    else v6.push(r)
  }
  return { v4: v4.sort(bySpecificity), v6: v6.sort(bySpecificity) }
}

export function compilePeerPolicy(input: PeerPolicyInput = {}): PeerPolicy {
  const allow = compileList(input.allow ?? [])
  const deny = compileList(input.deny ?? [])
  const names = (rs: readonly NamedRange[]) => rs.map((r) => r.cidr)
  return Object.freeze({
    allow4: allow.v4,
    allow6: allow.v6,
    deny4: deny.v4,
    deny6: deny.v6,
    default4: compileList(names(DEFAULT_DENIED_IPV4)).v4,
    default6: compileList(names(DEFAULT_DENIED_IPV6)).v6,
  })
}

function match4(rules: readonly Rule4[], v: number): Rule4 | undefined {
  for (const r of rules) if (((v & r.mask) >>> 0) === r.net) return r
  return undefined
}

function inPrefix(r: Rule6, b: Uint8Array): boolean {
  const full = r.bits >>> 3
  for (let i = 0; i < full; i++) if (b[i] !== r.bytes[i]) return false
  const rest = r.bits & 7
  if (rest === 0) return true
  const mask = (0xff << (8 - rest)) & 0xff
  return (b[full]! & mask) === (r.bytes[full]! & mask)
}

function match6(rules: readonly Rule6[], b: Uint8Array, skipReservedBlock: boolean): Rule6 | undefined {
  for (const r of rules) {
    if (skipReservedBlock && r.bits === 8 && r.cidr === '::/8') continue
    if (inPrefix(r, b)) return r
  }
  return undefined
}

const ALLOWED: PeerCheck = Object.freeze({ allow: true })

/** Strict dotted-quad (no octal, hex, or short forms) to an unsigned 32-bit integer; -1 when not one. */
function parseIpv4(text: string): number {
  let value = 0
  let part = 0
  let digits = 0
  let dots = 0
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 46
    if (c === 46) {
      if (digits === 0 || dots > 3) return -1
      value = value * 256 + part
      part = 0
      digits = 0
      dots++
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return -1
      part = part * 10 + (c - 48)
      if (part > 255 || ++digits > 3) return -1
    } else return -1
  }
  return dots === 4 ? value : -1
}

function judge4(policy: PeerPolicy, v: number, via: Ipv4Embedding | undefined): PeerCheck {
  const denied = match4(policy.deny4, v)
  if (denied) return via ? { allow: false, range: denied.cidr, via } : { allow: false, range: denied.cidr }
  const def = match4(policy.default4, v)
  if (!def) return ALLOWED
  const lifted = match4(policy.allow4, v)
  if (lifted) return { allow: true, override: lifted.cidr }
  return via ? { allow: false, range: def.cidr, via } : { allow: false, range: def.cidr }
}

export function checkPeer(address: string, policy: PeerPolicy): PeerCheck {
  if (address.indexOf(':') < 0) {
    const v = parseIpv4(address)
    if (v < 0) return { allow: false, range: 'invalid-address' }
    return judge4(policy, v, undefined)
  }
  const bytes = new Uint8Array(16)
  if (address.indexOf('%') >= 0 || !writeIpv6(address, bytes, 0)) return { allow: false, range: 'invalid-address' }
  const embedded = embeddedIpv4(bytes)
  const inReservedBlock = embedded.length === 1 && isIpv4EmbeddingInReservedBlock(embedded[0]!.form)

  const denied = match6(policy.deny6, bytes, false)
  if (denied) return { allow: false, range: denied.cidr }
  let override: string | undefined
  const def = match6(policy.default6, bytes, inReservedBlock)
  if (def) {
    const lifted = match6(policy.allow6, bytes, false)
    if (!lifted) return { allow: false, range: def.cidr }
    override = lifted.cidr
  }
  for (const e of embedded) {
    const verdict = judge4(policy, e.ipv4, e.form)
    if (!verdict.allow) return verdict
    if (verdict.override) override ??= verdict.override
  }
  return override ? { allow: true, override } : ALLOWED
}

/** Human-readable explanation of a denial, for logs and the audit stream. */
export function describePeerCheck(address: string, check: PeerCheck): string {
  if (check.allow) return check.override ? `${address} allowed by operator range ${check.override}` : `${address} allowed`
  const named = [...DEFAULT_DENIED_IPV4, ...DEFAULT_DENIED_IPV6].find((r) => r.cidr === check.range)
  const what = named ? `${check.range} ${named.name}` : check.range
  return check.via ? `${address} denied: ${check.via} form of an address in ${what}` : `${address} denied: ${what}`
}

export { ipv4ToText }
