/**
 * Is this address special-purpose? The one answer behind both the geo lookup's
 * 'reserved' source and the relay's default peer deny list (guarantee 2), so a
 * geo-fence and an SSRF guard can never disagree about an address.
 *
 * An address is special when the most specific block of special-ranges.ts that holds it
 * is reserved, or when that block embeds an IPv4 address (a disguise) and the IPv4
 * address is special. Disguises are reported first, naming the form, since that is what
 * an operator reading a denial needs to see.
 */
import { embeddedIpv4, type Ipv4Embedding } from './embedded-ipv4.js'
import type { IpFamily } from './ip-address.js'
import { specialRange, type SpecialRange } from './special-ranges.js'

export interface SpecialUse {
  readonly range: SpecialRange
  /** Present when the special address is an IPv4 address this IPv6 address embeds. */
  readonly via?: { readonly form: Ipv4Embedding; readonly ipv4: Uint8Array }
}

const NONE: readonly SpecialUse[] = Object.freeze([])

/**
 * Every reason the address (family 4: bytes[0..3], family 6: bytes[0..15]) is special:
 * each special IPv4 address it embeds, then the block itself when that is reserved.
 * Empty for an ordinary address; allocates only when something matches.
 */
export function specialUses(family: IpFamily, bytes: Uint8Array): readonly SpecialUse[] {
  const range = specialRange(family, bytes)
  if (range === undefined) return NONE
  if (range.embeds === undefined) return range.reserved ? [{ range }] : NONE
  const uses: SpecialUse[] = []
  for (const embedded of embeddedIpv4(bytes)) {
    const inner = specialRange(4, embedded.bytes)
    if (inner !== undefined) uses.push({ range: inner, via: { form: embedded.form, ipv4: embedded.bytes } })
  }
  if (range.reserved) uses.push({ range })
  return uses
}

/** Whether the address is special-purpose at all. */
export function isSpecialUse(family: IpFamily, bytes: Uint8Array): boolean {
  return specialUses(family, bytes).length > 0
}
