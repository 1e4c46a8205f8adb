/**
 * The two things a relay must refuse, tried against a real relay over UDP with a real
 * meeting credential (relay/client/turn-client.ts speaks RFC 8656 with the long-term
 * credential mechanism):
 *
 *   foreign peer      — an admitted participant allocates, then asks for a permission to
 *                       an address that is neither a relay of the meeting's allowed set nor
 *                       an admitted endpoint of the meeting (guarantee 2) → 403;
 *   leaked credential — a valid credential used from a blocked country: the relay checks
 *                       the source address against the attendee policy again at
 *                       allocation (guarantee 6) → 403.
 */
import { TurnClient, TurnClientError, type TransportAddress } from '../../relay/client/turn-client.js'

export interface TurnServer {
  readonly host: string
  readonly port: number
  readonly username: string
  readonly password: string
}

export interface ProbeOutcome {
  /** 0 when the request succeeded; the STUN error code otherwise. */
  readonly allocation: number
  /** Only for the foreign-peer probe: 0 permitted, else the STUN error code; undefined when not tried. */
  readonly permission?: number
  /** Where the client's socket was bound. */
  readonly from: string
  readonly relayed?: string
}

/** Allocates from `from`, then asks for a permission to `peer`. */
export async function probeForeignPeer(server: TurnServer, from: string, peer: TransportAddress): Promise<ProbeOutcome> {
  const client = await open(server, from)
  try {
    const { relayed } = await client.allocate()
    const permission = await stunCodeOf(client.createPermission([peer]))
    await client.release()
    return { allocation: 0, permission, from, relayed: `${relayed.address}:${relayed.port}` }
  } finally {
    await client.close()
  }
}

/** Tries to allocate from `from`. */
export async function probeAllocation(server: TurnServer, from: string): Promise<ProbeOutcome> {
  const client = await open(server, from)
  try {
    const allocation = await stunCodeOf(client.allocate())
    if (allocation === 0) await client.release()
    return { allocation, from }
  } finally {
    await client.close()
  }
}

function open(server: TurnServer, from: string): Promise<TurnClient> {
  // A short RTO: on loopback an answer takes well under a millisecond.
  return TurnClient.open({ server: { host: server.host, port: server.port }, username: server.username, password: server.password, localHost: from, rtoMs: 100, maxTransmissions: 5 })
}

/** 0 when the request succeeds, the STUN error code when the relay refuses it; anything else throws. */
async function stunCodeOf(request: Promise<unknown>): Promise<number> {
  try {
    await request
    return 0
  } catch (err) {
    if (err instanceof TurnClientError && err.code === 'ERR_TURN_REJECTED' && err.stunCode !== undefined) return err.stunCode
    throw err
  }
}
