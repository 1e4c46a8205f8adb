/**
 * Whether the relay may talk to a peer: peer safety first (denied ranges, always — a
 * relay is an SSRF proxy otherwise), then the TURN hairpin guard (no relay's service
 * port, of a relay's addresses only its relayed ports), then the residency hook. Shared
 * by CreatePermission and ChannelBind (RFC 8656 §9.2 and §11.2 leave this to policy →
 * 403); Send indications ask the hairpin guard alone, per indication (`checkSendPeer`).
 * What the server refuses itself is handed to the hook's `peerRefused` to be audited.
 */
import { deny, type Verdict } from '../../geo/verdict.js'
import type { PeerContext } from '../policy.js'
import type { Allocation } from './allocation.js'
import type { TransportAddress } from './five-tuple.js'
import { consultPolicy } from './consult-policy.js'
import type { ServerCore } from './server-core.js'

/** Distinct refused peers reported per allocation; beyond it refusals are only counted (a port scan is not an audit flood). */
const MAX_REPORTED_SEND_PEERS = 16

function peerContext(allocation: Allocation, peer: TransportAddress, via: PeerContext['via']): PeerContext {
  return {
    identity: allocation.identity,
    clientAddress: allocation.tuple.client.address,
    clientPort: allocation.tuple.client.port,
    transport: allocation.tuple.transport,
    peerAddress: peer.address,
    peerPort: peer.port,
    via,
  }
}

function refused(s: ServerCore, allocation: Allocation, peer: TransportAddress, via: PeerContext['via'], verdict: Verdict): Verdict {
  s.policy.peerRefused?.(peerContext(allocation, peer, via), verdict)
  return verdict
}

export async function checkPeerAllowed(
  s: ServerCore,
  allocation: Allocation,
  peer: TransportAddress,
  via: 'create-permission' | 'channel-bind',
): Promise<Verdict> {
  const safety = s.peerSafety(peer.address)
  if (!safety.allow) return refused(s, allocation, peer, via, safety)
  // The port counts here although permissions are per IP: a relay-to-relay permission is
  // only for relayed transport addresses, never a relay's listeners (issue 9, TURN hairpin).
  let hairpin: Verdict | undefined
  try {
    await s.relayServices.refresh()
    hairpin = s.relayServices.check(peer)
  } catch (err) {
    s.events.emit('policy-failed', err)
    hairpin = deny('policy_unavailable', err instanceof Error ? err.message : String(err))
  }
  if (hairpin) return refused(s, allocation, peer, via, hairpin)
  return consultPolicy(s, () => s.policy.peer(peerContext(allocation, peer, via)))
}

/**
 * A Send indication's peer (RFC 8656 §10.2) against the hairpin guard: the permission
 * for a relay's IP does not carry data to its service ports. Synchronous, on what the
 * guard last learned. Undefined when allowed; the first refusals per allocation are
 * reported (event and audit), later ones only counted by the caller.
 */
export function checkSendPeer(s: ServerCore, allocation: Allocation, peer: TransportAddress): Verdict | undefined {
  const verdict = s.relayServices.check(peer)
  if (!verdict) return undefined
  const seen = (allocation.refusedSendPeers ??= new Set())
  const key = `${peer.address}:${peer.port}`
  if (!seen.has(key) && seen.size < MAX_REPORTED_SEND_PEERS) {
    seen.add(key)
    s.events.emit('permission-denied', { method: 'send', reason: verdict.reason, meetingId: allocation.identity.meetingId })
    refused(s, allocation, peer, 'send', { ...verdict, detail: `${verdict.detail ?? ''} (send indication)` })
  }
  return verdict
}
