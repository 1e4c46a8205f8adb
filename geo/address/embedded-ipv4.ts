/**
 * IPv4 addresses hidden inside IPv6 ones — the disguises by which a "public" IPv6 peer
 * reaches an IPv4 host (coturn CVE-2020-26262 relayed to ::ffff:127.0.0.1 and ::127.0.0.1;
 * a dual-stack socket or a NAT64/6to4/Teredo gateway does the same for the others).
 * Which blocks embed an address, and where, is written once, in special-ranges.ts.
 */
import { specialRange, type Ipv4Embedding } from './special-ranges.js'

export type { Ipv4Embedding }

export interface EmbeddedIpv4 {
  readonly form: Ipv4Embedding
  /** The IPv4 address, 4 bytes. */
  readonly bytes: Uint8Array
}

const NONE: readonly EmbeddedIpv4[] = Object.freeze([])

/** Every IPv4 address the 16 bytes of an IPv6 address embed (none for an ordinary IPv6 address). */
export function embeddedIpv4(bytes: Uint8Array): readonly EmbeddedIpv4[] {
  const embeds = specialRange(6, bytes)?.embeds
  if (embeds === undefined) return NONE
  return embeds.map(({ form, at, inverted }) => {
    const v4 = bytes.slice(at, at + 4)
    if (inverted) for (let i = 0; i < 4; i++) v4[i] = ~v4[i]! & 0xff
    return { form, bytes: v4 }
  })
}
