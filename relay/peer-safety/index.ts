/** Peer safety: which peer addresses a relay may send to (SSRF protection). */
export {
  type PeerCheck,
  type PeerPolicy,
  type PeerPolicyInput,
  PeerPolicyError,
  checkPeer,
  compilePeerPolicy,
  describePeerCheck,
} from './peer-policy.js'
export { peerSafety, peerSafetyVerdict } from './verdict.js'
export {
  type PortRange,
  type RelayEndpoints,
  type RelayServiceIndex,
  RelayServices,
  compileRelayServices,
  relayServiceVerdict,
} from './relay-services.js'
