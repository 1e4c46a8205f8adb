/**
 * The 5-tuple (RFC 8656 §2): client address and port, server address and port, and the
 * transport between client and server. An allocation is identified by it (§5), so every
 * lookup on the control path starts from its key.
 */
export type ClientTransport = 'udp' | 'tcp'

export interface TransportAddress {
  readonly family: 4 | 6
  readonly address: string
  readonly port: number
}

export interface FiveTuple {
  readonly transport: ClientTransport
  readonly client: TransportAddress
  readonly server: TransportAddress
}

/** A stable string key; IPv6 addresses are bracketed so the port separator is unambiguous. */
export function fiveTupleKey(t: FiveTuple): string {
  return `${t.transport}|${hostPort(t.client)}|${hostPort(t.server)}`
}

/**
 * The key as one flat string, for a key kept as long as an allocation lives: a template
 * literal builds a rope of its parts (V8 ConsStrings, ~160 B of heap for a UDP key) that
 * nothing flattens once the key is only ever looked up by itself.
 */
export function keptKey(key: string): string {
  return Buffer.from(key, 'latin1').toString('latin1')
}

export function hostPort(a: { family: 4 | 6; address: string; port: number }): string {
  return a.family === 6 ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`
}

export function familyOf(address: string): 4 | 6 {
  return address.includes(':') ? 6 : 4
}
