/**
 * The DTLS certificate fingerprint an SDP carries (`a=fingerprint:`, RFC 8122 §5), and
 * whether a remote description comes from a peer connection other than the one we
 * negotiated with: a peer that rebuilt its connection (a stack without ICE restart, such
 * as node-datachannel, on failover) has a new certificate, so a new fingerprint, and the
 * DTLS and SCTP state on our side no longer matches anything on its side.
 */

/** The first `a=fingerprint:` value of the SDP (session or media level), lower-cased; undefined when it has none. */
export function dtlsFingerprint(sdp: string): string | undefined {
  const m = /^a=fingerprint:\s*(\S+)\s+(\S+)\s*$/im.exec(sdp)
  return m ? `${m[1]!.toLowerCase()} ${m[2]!.toLowerCase()}` : undefined
}

/** True when both are known and differ: the remote replaced its connection since `before` was applied. */
export function remoteRebuilt(before: string | undefined, sdp: string): boolean {
  const now = dtlsFingerprint(sdp)
  return before !== undefined && now !== undefined && now !== before
}
