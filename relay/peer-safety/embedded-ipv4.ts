/**
 * IPv4 addresses hidden inside IPv6 ones — the disguises by which a "public" IPv6 peer
 * reaches an IPv4 host (coturn CVE-2020-26262 relayed to ::ffff:127.0.0.1 and ::127.0.0.1;
 * a dual-stack socket or a NAT64/6to4/Teredo gateway does the same for the others).
 * Each form returns the IPv4 address as an unsigned 32-bit integer.
 */
export type Ipv4Embedding =
  | 'ipv4-mapped' // ::ffff:a.b.c.d (RFC 4291 §2.5.5.2)
  | 'ipv4-compatible' // ::a.b.c.d (RFC 4291 §2.5.5.1, deprecated)
  | 'ipv4-translated' // ::ffff:0:a.b.c.d (RFC 2765 SIIT)
  | 'nat64' // 64:ff9b::a.b.c.d (RFC 6052)
  | '6to4' // 2002:AABB:CCDD::/48 (RFC 3056)
  | 'teredo-server' // 2001:0:SSSS:SSSS:… (RFC 4380)
  | 'teredo-client' // …:~CCCC:~CCCC (RFC 4380, obfuscated by XOR 0xffffffff)

export interface EmbeddedIpv4 {
  form: Ipv4Embedding
  ipv4: number
}

const u32 = (b: Uint8Array, i: number): number => ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0

function zero(b: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (b[i] !== 0) return false
  return true
}

/** True for the forms inside ::/8 (mapped, compatible, translated, NAT64) that are judged by their IPv4 address alone. */
export function isIpv4EmbeddingInReservedBlock(form: Ipv4Embedding): boolean {
  return form === 'ipv4-mapped' || form === 'ipv4-compatible' || form === 'ipv4-translated' || form === 'nat64'
}

/** Every IPv4 address the 16 bytes embed (none for an ordinary IPv6 address). */
export function embeddedIpv4(b: Uint8Array): EmbeddedIpv4[] {
  if (zero(b, 0, 10) && b[10] === 0xff && b[11] === 0xff) return [{ form: 'ipv4-mapped', ipv4: u32(b, 12) }]
  // :: and ::1 are the IPv6 unspecified and loopback addresses, not IPv4 0.0.0.0/0.0.0.1.
  if (zero(b, 0, 12) && u32(b, 12) > 1) return [{ form: 'ipv4-compatible', ipv4: u32(b, 12) }]
  if (zero(b, 0, 8) && b[8] === 0xff && b[9] === 0xff && b[10] === 0 && b[11] === 0) {
    return [{ form: 'ipv4-translated', ipv4: u32(b, 12) }]
  }
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zero(b, 4, 12)) {
    return [{ form: 'nat64', ipv4: u32(b, 12) }]
  }
  if (b[0] === 0x20 && b[1] === 0x02) return [{ form: '6to4', ipv4: u32(b, 2) }]
  if (b[0] === 0x20 && b[1] === 0x01 && b[2] === 0 && b[3] === 0) {
    return [
      { form: 'teredo-server', ipv4: u32(b, 4) },
      { form: 'teredo-client', ipv4: ~u32(b, 12) >>> 0 },
    ]
  }
  return []
}

export function ipv4ToText(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`
}
