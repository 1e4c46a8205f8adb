/**
 * Whether the relay may talk to a peer: peer safety first (denied ranges, always — a
 * relay is an SSRF proxy otherwise), then the residency hook. Shared by
 * CreatePermission and ChannelBind (RFC 8656 §9.2 and §11.2 leave this to policy → 403).
 */
import type { Verdict } from '../../geo/verdict.js'
import type { Allocation } from './allocation.js'
import type { TransportAddress } from './five-tuple.js'
import { consultPolicy } from './consult-policy.js'
import type { ServerCore } from './server-core.js'

export async function checkPeerAllowed(
  s: ServerCore,
  allocation: Allocation,
  peer: TransportAddress,
  via: 'create-permission' | 'channel-bind',
): Promise<Verdict> {
  const safety = s.peerSafety(peer.address)
  if (!safety.allow) return safety
  return consultPolicy(s, () => s.policy.peer({
    identity: allocation.identity,
    clientAddress: allocation.tuple.client.address,
    clientPort: allocation.tuple.client.port,
    transport: allocation.tuple.transport,
    peerAddress: peer.address,
    peerPort: peer.port,
    via,
  }))
}
