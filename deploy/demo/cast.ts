/**
 * Who takes part in the demo meeting, and from where. Loopback stands in for the world:
 * deploy/examples/local-network.yaml's geo overrides place 127.1/16 in Germany, 127.2/16
 * in the US, 127.4/16 in France, 127.5/16 in China and 127.6/16 in the United Kingdom.
 * The eu-central relays themselves live at 127.1.0.1 and 127.1.0.2, so participants use
 * other addresses of their block; every participant binds its own address, so the control
 * plane and the relays see distinct endpoints.
 */
export interface CastMember {
  readonly identity: string
  readonly displayName: string
  readonly role: 'host' | 'attendee'
  readonly country: string
  /** The loopback address this participant's sockets leave from. */
  readonly address: string
}

export const HOST: CastMember = { identity: 'hanna', displayName: 'Hanna (host)', role: 'host', country: 'DE', address: '127.1.0.10' }

/** Admitted attendees; each opens a data channel with the host through the relays. */
export const ATTENDEES: readonly CastMember[] = [
  { identity: 'camille', displayName: 'Camille', role: 'attendee', country: 'FR', address: '127.4.0.10' },
  { identity: 'oliver', displayName: 'Oliver', role: 'attendee', country: 'GB', address: '127.6.0.10' },
]

/** An attendee from the country the meeting's attendee policy blocks. */
export const BLOCKED: CastMember = { identity: 'wei', displayName: 'Wei', role: 'attendee', country: 'CN', address: '127.5.0.10' }

/** The countries the demo meeting blocks. */
export const BLOCKED_COUNTRIES: readonly string[] = [BLOCKED.country]

/** Where a leaked credential is tried from: the blocked country, another address of its block. */
export const LEAKED_CREDENTIAL_FROM = '127.5.0.11'

/** A "foreign peer": an address in no relay of the allowed set and no admitted endpoint. */
export const FOREIGN_PEER = { family: 4 as const, address: '127.5.0.99', port: 40_000 }
