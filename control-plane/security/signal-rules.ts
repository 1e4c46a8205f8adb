/**
 * Rules for a signal a participant wants forwarded: routing (only between admitted
 * participants of the meeting, never to oneself) and rights (screen share, file transfer).
 *
 * How a screen share is recognised, and the limits of it. WebRTC gives a server no
 * reliable way to tell a screen from a camera: both are plain video m-lines, and the
 * media is encrypted end to end (DTLS-SRTP) through relays that cannot look inside. So:
 *   1. declaration: the client library always declares each track it sends
 *      (`tracks: [{ kind: 'screen' }]`); a declared screen track needs `screenShare`;
 *   2. RFC 4796 `a=content:slides` on a sending video section counts as a screen;
 *   3. an msid (RFC 8830) stream or track id containing "screen" or "display" counts as
 *      a screen (what several SDKs name their tracks);
 *   4. without `screenShare`, a participant may send at most `maxCameraVideos` video
 *      sections (default one camera), so "camera plus a mislabelled screen" is refused.
 * A hostile client that declares its screen as its only camera video gets through: this
 * catches honest clients and sloppy SDKs, not adversaries, and PROTOCOL.md says so.
 *
 * File transfer: data channel labels travel inside DTLS (DCEP, RFC 8832), invisible to
 * us, so the client library declares the channels it opens; labels starting with
 * FILE_TRANSFER_LABEL_PREFIX need `fileTransfer`. Same limit: a lying client can open an
 * undeclared channel. The meeting's e2ee promise makes that inherent, not an oversight.
 */
import type { SignalMessage } from '../protocol/client-messages.js'
import { hasCapability, type CapabilityHolder, type CapabilitySettings, type RuleDecision } from './capabilities.js'
import { mediaSections } from './sdp-media.js'

export const FILE_TRANSFER_LABEL_PREFIX = 'file:'
const SCREEN_ID = /screen|display/i

export interface SignalSender extends CapabilityHolder {
  readonly participantId: string
}

export interface SignalRuleOptions {
  /** Is this participant id admitted to the meeting right now? */
  readonly isAdmitted: (participantId: string) => boolean
  readonly maxCameraVideos?: number
}

/** Why an offer/answer counts as a screen share, or undefined when it does not. */
export function screenShareEvidence(signal: SignalMessage): string | undefined {
  if (signal.kind !== 'offer' && signal.kind !== 'answer') return undefined
  if (signal.tracks?.some((t) => t.kind === 'screen')) return 'declared screen track'
  for (const section of mediaSections(signal.payload)) {
    if (section.media !== 'video' || !section.sends) continue
    if (section.content.includes('slides')) return 'a=content:slides'
    if (section.msid.some((id) => SCREEN_ID.test(id))) return 'msid names a screen'
  }
  return undefined
}

export function sendingVideoCount(sdp: string): number {
  return mediaSections(sdp).filter((s) => s.media === 'video' && s.sends).length
}

export function decideSignal(sender: SignalSender, signal: SignalMessage, settings: CapabilitySettings, opts: SignalRuleOptions): RuleDecision {
  if (signal.to === sender.participantId) return { allow: false, code: 'SR_TARGET_IS_SELF' }
  if (signal.to !== 'all' && !opts.isAdmitted(signal.to)) return { allow: false, code: 'SR_UNKNOWN_PARTICIPANT' }
  if (signal.kind !== 'offer' && signal.kind !== 'answer') return { allow: true }

  if (!hasCapability(sender, 'screenShare', settings)) {
    if (screenShareEvidence(signal) !== undefined) return { allow: false, code: 'SR_SCREEN_SHARE_NOT_ALLOWED' }
    if (sendingVideoCount(signal.payload) > (opts.maxCameraVideos ?? 1)) return { allow: false, code: 'SR_SCREEN_SHARE_NOT_ALLOWED' }
  }
  const fileChannel = signal.dataChannels?.some((c) => c.label.startsWith(FILE_TRANSFER_LABEL_PREFIX)) ?? false
  if (fileChannel && !hasCapability(sender, 'fileTransfer', settings)) return { allow: false, code: 'SR_FILE_TRANSFER_NOT_ALLOWED' }
  return { allow: true }
}
