/**
 * Messages a participant sends to the control plane (sovereign.signal.v1).
 * Every message is one JSON text frame with a `type` discriminator; unknown fields are
 * refused (additionalProperties: false) so that a typo fails loudly instead of silently.
 */
import { Type, type Static, type TProperties } from '@sinclair/typebox'

import {
  Capability, DataChannelDeclaration, DisplayName, ParticipantId, RequestId, TrackDeclaration, X25519PublicKey,
} from './common.js'
import { LIMITS } from './version.js'

export const Join = Type.Object({
  type: Type.Literal('join'),
  id: RequestId,
  token: Type.String({ minLength: 1, maxLength: LIMITS.maxTokenChars }),
  passcode: Type.Optional(Type.String({ maxLength: LIMITS.maxPasscodeChars })),
  /** Required in managed key mode: the media key is sealed to it (HPKE, RFC 9180). */
  publicKey: Type.Optional(X25519PublicKey),
  displayName: Type.Optional(DisplayName),
  client: Type.Optional(Type.Object({
    name: Type.String({ maxLength: 64 }),
    version: Type.String({ maxLength: 32 }),
    userAgent: Type.Optional(Type.String({ maxLength: 256 })),
  }, { additionalProperties: false })),
  /**
   * v1.1: the highest minor revision of sovereign.signal.v1 the client understands
   * (PROTOCOL_MINOR). A server sends messages of a later revision (e.g. an unprompted
   * `ice-restart`) only to clients that declared it, since clients refuse unknown messages.
   */
  minor: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
}, { additionalProperties: false })

const SignalBase = {
  type: Type.Literal('signal'),
  id: RequestId,
  to: Type.Union([ParticipantId, Type.Literal('all')]),
}

/** SDP offer or answer (RFC 8829). `tracks` and `dataChannels` are declarations checked against rights. */
export const SignalSdp = Type.Object({
  ...SignalBase,
  kind: Type.Union([Type.Literal('offer'), Type.Literal('answer')]),
  payload: Type.String({ minLength: 1, maxLength: LIMITS.maxSdpChars }),
  tracks: Type.Optional(Type.Array(TrackDeclaration, { maxItems: LIMITS.maxTracksPerSignal })),
  dataChannels: Type.Optional(Type.Array(DataChannelDeclaration, { maxItems: LIMITS.maxDataChannelsPerSignal })),
}, { additionalProperties: false })

/** One trickled ICE candidate (RFC 8838), JSON of RTCIceCandidateInit; empty string = end of candidates. */
export const SignalIce = Type.Object({
  ...SignalBase,
  kind: Type.Literal('ice'),
  payload: Type.String({ maxLength: LIMITS.maxCandidateChars }),
}, { additionalProperties: false })

/** e2ee mode: an opaque key message sealed by the sender; the server only forwards it. */
export const SignalKey = Type.Object({
  ...SignalBase,
  kind: Type.Literal('key'),
  payload: Type.String({ minLength: 1, maxLength: LIMITS.maxKeyMessageChars }),
}, { additionalProperties: false })

export const Signal = Type.Union([SignalSdp, SignalIce, SignalKey])

const target = { participantId: ParticipantId }
function hostCommand<C extends string, P extends TProperties>(command: C, extra: P) {
  return Type.Object({ type: Type.Literal('host'), id: RequestId, command: Type.Literal(command), ...extra }, { additionalProperties: false })
}

export const HostAdmit = hostCommand('admit', target)
export const HostDeny = hostCommand('deny', target)
export const HostRemove = hostCommand('remove', target)
export const HostLock = hostCommand('lock', {})
export const HostUnlock = hostCommand('unlock', {})
export const HostEnd = hostCommand('end', {})
export const HostGrant = hostCommand('grant', { ...target, capability: Capability })
export const HostRevoke = hostCommand('revoke', { ...target, capability: Capability })
export const HostCommand = Type.Union([HostAdmit, HostDeny, HostRemove, HostLock, HostUnlock, HostEnd, HostGrant, HostRevoke])

export const REQUESTS = ['startScreenShare', 'openFileTransfer', 'startRecording'] as const
export const Request = Type.Object({
  type: Type.Literal('request'),
  id: RequestId,
  request: Type.Union(REQUESTS.map((r) => Type.Literal(r))),
}, { additionalProperties: false })

export const Leave = Type.Object({ type: Type.Literal('leave'), id: RequestId }, { additionalProperties: false })
export const Ping = Type.Object({
  type: Type.Literal('ping'),
  id: RequestId,
  nonce: Type.Optional(Type.String({ maxLength: 64 })),
}, { additionalProperties: false })

/**
 * v1.1: the participant's own ICE failed (RFC 8445 §8.1: checks of every pair failed), so
 * it asks for fresh ICE servers; the server answers with `ice-restart` (reason `requested`,
 * `re` = this `id`) or an `error` when no relay of the allowed set is live.
 */
export const IceServersRequest = Type.Object({ type: Type.Literal('ice-servers-request'), id: RequestId }, { additionalProperties: false })

export const ClientMessage = Type.Union([Join, SignalSdp, SignalIce, SignalKey, HostAdmit, HostDeny, HostRemove, HostLock, HostUnlock, HostEnd, HostGrant, HostRevoke, Request, Leave, Ping, IceServersRequest])

export type JoinMessage = Static<typeof Join>
export type SignalMessage = Static<typeof Signal>
export type SignalSdpMessage = Static<typeof SignalSdp>
export type HostCommandMessage = Static<typeof HostCommand>
export type HostCommandName = HostCommandMessage['command']
export type RequestMessage = Static<typeof Request>
export type RequestName = (typeof REQUESTS)[number]
export type ClientMessageShape = Static<typeof ClientMessage>
export type ClientMessageType = ClientMessageShape['type']
