/**
 * The signaling protocol's identity and its hard limits. Both ends import these numbers,
 * so a client and a control plane built from the same tree agree byte for byte.
 * Human-readable description: ./PROTOCOL.md.
 */

/** WebSocket subprotocol (RFC 6455 §1.9). A new incompatible version gets a new name. */
export const SUBPROTOCOL = 'sovereign.signal.v1'
export const PROTOCOL_VERSION = 1
/**
 * Compatible revisions of v1 (PROTOCOL.md, "Revisions"). 1: `ice-restart` and
 * `ice-servers-request` (failover). A client declares the revision it understands in
 * `join.minor`; a server never sends it a message of a later revision unprompted.
 */
export const PROTOCOL_MINOR = 1

export const LIMITS = {
  /** Largest text frame either side accepts; anything bigger closes with 4016. */
  maxFrameBytes: 64 * 1024,
  /** SDP of a large multi-track offer stays well under this. */
  maxSdpChars: 32 * 1024,
  /** One ICE candidate line (RFC 8839 §5.1) plus its JSON wrapper. */
  maxCandidateChars: 2 * 1024,
  /** An opaque sealed key message (e2ee mode) or an HPKE-sealed media key. */
  maxKeyMessageChars: 4 * 1024,
  maxTokenChars: 4 * 1024,
  maxDisplayNameChars: 64,
  maxPasscodeChars: 64,
  maxTracksPerSignal: 32,
  maxDataChannelsPerSignal: 16,
  maxLabelChars: 128,
  maxRequestIdChars: 64,
  /** Seconds a socket may stay open without sending `join`. */
  joinTimeoutSeconds: 10,
} as const

/** Path of the signaling WebSocket on every control plane. */
export const SIGNAL_PATH = '/v1/signal'

/**
 * The signaling URL of a control plane from its public base URL (config
 * `regions[].controlPlane.url`): http → ws, https → wss, plus SIGNAL_PATH. This is what a
 * `redirect` message carries.
 */
export function signalingUrl(controlPlaneUrl: string): string {
  const url = new URL(controlPlaneUrl)
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`control-plane URL must be http(s): ${controlPlaneUrl}`)
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${SIGNAL_PATH}`
  url.search = ''
  url.hash = ''
  return url.toString()
}
