/** Peer safety as a residency `Verdict` (geo/verdict.ts), the shape the TURN server consumes. */
import { type Verdict, allow, deny } from '../../geo/verdict.js'
import { type PeerPolicy, checkPeer } from './peer-policy.js'

export function peerSafetyVerdict(address: string, policy: PeerPolicy): Verdict {
  const check = checkPeer(address, policy)
  if (!check.allow) return deny('peer_denied_range', check.via ? `${check.range} via ${check.via}` : check.range)
  return check.override ? allow('peer_allowed_by_operator', check.override) : allow('peer_public_address')
}

/** A `(address) => Verdict` closure over a compiled policy, for TurnServerOptions.peerSafety. */
export function peerSafety(policy: PeerPolicy): (address: string) => Verdict {
  return (address) => peerSafetyVerdict(address, policy)
}
