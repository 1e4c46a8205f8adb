/** Peer safety: which peer addresses a relay may send to (SSRF protection). */
export { DEFAULT_DENIED_IPV4, DEFAULT_DENIED_IPV6, type NamedRange } from './denied-ranges.js'
export { type EmbeddedIpv4, type Ipv4Embedding, embeddedIpv4 } from './embedded-ipv4.js'
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
