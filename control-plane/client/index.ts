/**
 * `sovereign-relay/client`: what a tenant's front end installs. The signaling client
 * (reconnecting, v1.1 failover), the WebRTC peer-connection helpers (browser, and
 * node-datachannel injected by the app), managed-key opening,
 * and the protocol's types and codec. Nothing here imports Node built-ins, fastify,
 * ioredis, node-datachannel or the geo database, and nothing evaluates strings, so it
 * bundles for browsers and runs under a strict Content-Security-Policy. The browser
 * bundle of this file is `sovereign-relay/client/browser` (dist/client/sovereign-client.js).
 */
export {
  SignalClient, ClientClosedError, ClientReconnectingError, ConnectionLostError, ClientNotOpenError, NoWebSocketError, SignalRefusedError,
  type CloseInfo, type ConnectOptions, type JoinResult, type MediaKeyEvent, type ReconnectingEvent, type SignalClientEvents,
  type WebSocketConstructor, type WebSocketLike,
} from './signal-client.js'
export { PeerLink, rtcIceServers, type PeerLinkEvents, type PeerLinkOptions } from './peer-link.js'
export {
  NodePeerLink, ndcIceServers, type NdcDataChannel, type NdcIceServer, type NdcPeerConnection, type NdcPeerConnectionConstructor,
  type NodePeerLinkEvents, type NodePeerLinkOptions,
} from './node-peer-link.js'
export { reconnectDelay, shouldReconnect, type ReconnectOptions } from './reconnect-policy.js'
export { generateParticipantKeyPair, openMediaKey, KeyOpenError, type ParticipantKeyPair } from './open-key.js'
export { TypedEmitter } from './typed-emitter.js'
export * from '../protocol/index.js'
