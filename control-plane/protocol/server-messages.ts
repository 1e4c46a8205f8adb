/**
 * Messages the control plane sends to a participant (sovereign.signal.v1). The client
 * validates them with the same schemas, so a server bug surfaces as a protocol error on
 * the client instead of as `undefined` somewhere in an app.
 */
import { Type, type Static } from '@sinclair/typebox'

import {
  Capability, DataChannelDeclaration, DisplayName, MeetingId, ParticipantId, ParticipantSummary, RegionId, Role,
  SealedKey, TrackDeclaration,
} from './common.js'
import { REQUESTS } from './client-messages.js'
import { ERROR_CODE_NAMES } from './error-codes.js'
import { LIMITS } from './version.js'

const Re = Type.Optional(Type.String({ maxLength: LIMITS.maxRequestIdChars }))
const obj = <T extends Parameters<typeof Type.Object>[0]>(props: T) => Type.Object(props, { additionalProperties: false })

/** RTCIceServer with TURN REST credentials (username `<expiry>:<meetingId>:<participantId>`). */
export const IceServer = obj({
  urls: Type.Array(Type.String({ pattern: '^(stun|stuns|turn|turns):', maxLength: 256 }), { minItems: 1, maxItems: 8 }),
  username: Type.Optional(Type.String({ maxLength: 256 })),
  credential: Type.Optional(Type.String({ maxLength: 256 })),
  /** Unix seconds after which the relay refuses the credential. */
  expiresAt: Type.Optional(Type.Integer({ minimum: 0 })),
})
export type IceServerShape = Static<typeof IceServer>

export const MeetingSettings = obj({
  id: MeetingId,
  homeRegion: RegionId,
  residencyMode: Type.Union([Type.Literal('region'), Type.Literal('jurisdiction')]),
  keyMode: Type.Union([Type.Literal('e2ee'), Type.Literal('managed')]),
  locked: Type.Boolean(),
  waitingRoom: Type.Boolean(),
  joinBeforeHost: Type.Boolean(),
  hostOnlyScreenShare: Type.Boolean(),
  fileTransfer: Type.Boolean(),
  recording: Type.Union([Type.Literal('off'), Type.Literal('host'), Type.Literal('everyone')]),
  capacity: Type.Integer({ minimum: 1 }),
})
export type MeetingSettingsShape = Static<typeof MeetingSettings>

/** Managed key mode: the meeting media key sealed to this participant's public key. */
export const KeyMaterial = obj({ version: Type.Integer({ minimum: 1 }), sealed: SealedKey })

export const Welcome = obj({
  type: Type.Literal('welcome'),
  protocol: Type.Literal(1),
  participantId: ParticipantId,
  displayName: DisplayName,
  role: Role,
  capabilities: Type.Array(Capability, { maxItems: 3 }),
  iceServers: Type.Array(IceServer, { maxItems: 16 }),
  participants: Type.Array(ParticipantSummary, { maxItems: 10_000 }),
  meeting: MeetingSettings,
  key: Type.Optional(KeyMaterial),
})

export const WAIT_REASONS = ['waiting_room', 'host_not_present'] as const
export const Waiting = obj({
  type: Type.Literal('waiting'),
  participantId: ParticipantId,
  reason: Type.Union(WAIT_REASONS.map((r) => Type.Literal(r))),
})
/** The waiting participant was let in; a `welcome` follows. */
export const Admitted = obj({ type: Type.Literal('admitted'), participantId: ParticipantId })

const ErrorCodeSchema = Type.Union(ERROR_CODE_NAMES.map((c) => Type.Literal(c)))

/** Admission refused; the server closes with the error's close code right after. */
export const Denied = obj({
  type: Type.Literal('denied'), code: ErrorCodeSchema, message: Type.String({ maxLength: 512 }),
  /** SR_PASSCODE_ATTEMPTS: when another try may be made. */
  retryAfterSeconds: Type.Optional(Type.Integer({ minimum: 1 })),
})

export const ParticipantJoined = obj({ type: Type.Literal('participant-joined'), participant: ParticipantSummary })
export const ParticipantLeft = obj({ type: Type.Literal('participant-left'), participantId: ParticipantId })
export const ParticipantRemoved = obj({ type: Type.Literal('participant-removed'), participantId: ParticipantId, by: ParticipantId })
/** To hosts and co-hosts only: someone is in the waiting room. */
export const ParticipantWaiting = obj({
  type: Type.Literal('participant-waiting'),
  participant: ParticipantSummary,
  reason: Type.Union(WAIT_REASONS.map((r) => Type.Literal(r))),
})
export const ParticipantAdmitted = obj({ type: Type.Literal('participant-admitted'), participantId: ParticipantId, by: ParticipantId })

export const SignalFrom = obj({
  type: Type.Literal('signal'),
  from: ParticipantId,
  kind: Type.Union([Type.Literal('offer'), Type.Literal('answer'), Type.Literal('ice'), Type.Literal('key')]),
  payload: Type.String({ maxLength: LIMITS.maxSdpChars }),
  tracks: Type.Optional(Type.Array(TrackDeclaration, { maxItems: LIMITS.maxTracksPerSignal })),
  dataChannels: Type.Optional(Type.Array(DataChannelDeclaration, { maxItems: LIMITS.maxDataChannelsPerSignal })),
})

export const KeyDelivery = obj({ type: Type.Literal('key-delivery'), version: Type.Integer({ minimum: 1 }), sealed: SealedKey })
/** A new media key version is in force; each participant gets its own `key-delivery`. */
export const KeyRotated = obj({
  type: Type.Literal('key-rotated'),
  version: Type.Integer({ minimum: 1 }),
  reason: Type.Union([Type.Literal('participant-left'), Type.Literal('participant-removed'), Type.Literal('scheduled')]),
})

export const MeetingLocked = obj({ type: Type.Literal('meeting-locked'), by: ParticipantId })
export const MeetingUnlocked = obj({ type: Type.Literal('meeting-unlocked'), by: ParticipantId })
export const MeetingEnded = obj({ type: Type.Literal('meeting-ended'), by: Type.Optional(ParticipantId) })

export const CapabilityChanged = obj({
  type: Type.Literal('capability-changed'),
  participantId: ParticipantId,
  capabilities: Type.Array(Capability, { maxItems: 3 }),
  by: ParticipantId,
})

export const RequestResult = obj({
  type: Type.Literal('request-result'),
  re: Re,
  request: Type.Union(REQUESTS.map((r) => Type.Literal(r))),
  allowed: Type.Boolean(),
  code: Type.Optional(ErrorCodeSchema),
})

/** A refused message; the session continues unless a close with the code's close code follows. */
export const ErrorMessage = obj({
  type: Type.Literal('error'),
  re: Re,
  code: ErrorCodeSchema,
  message: Type.String({ maxLength: 512 }),
})

/** The meeting lives in another region: reconnect there. Never proxied (guarantee 3). */
export const Redirect = obj({
  type: Type.Literal('redirect'),
  url: Type.String({ pattern: '^wss?://', maxLength: 512 }),
  region: RegionId,
})

export const ICE_RESTART_REASONS = ['relay-lost', 'relay-draining', 'requested'] as const
/**
 * v1.1: new ICE servers from the meeting's allowed set (fresh meeting-scoped credentials);
 * the client applies them and restarts ICE (RFC 8445 §9, `setConfiguration` + `restartIce()`,
 * or a new peer connection where the stack has no ICE restart). Sent when a relay the
 * participant was handed left the fleet (`relay-lost`, `relayId`) or is draining
 * (`relay-draining`, `relayId`), unprompted and only to clients that declared `minor` ≥ 1
 * in `join`; or in answer to `ice-servers-request` (`requested`, `re`).
 */
export const IceRestart = obj({
  type: Type.Literal('ice-restart'),
  re: Re,
  iceServers: Type.Array(IceServer, { minItems: 1, maxItems: 16 }),
  reason: Type.Union(ICE_RESTART_REASONS.map((r) => Type.Literal(r))),
  relayId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
})

export const Pong = obj({ type: Type.Literal('pong'), re: Re, nonce: Type.Optional(Type.String({ maxLength: 64 })) })

export const ServerMessage = Type.Union([
  Welcome, Waiting, Admitted, Denied, ParticipantJoined, ParticipantLeft, ParticipantRemoved, ParticipantWaiting,
  ParticipantAdmitted, SignalFrom, KeyDelivery, KeyRotated, MeetingLocked, MeetingUnlocked, MeetingEnded,
  CapabilityChanged, RequestResult, ErrorMessage, Redirect, Pong, IceRestart,
])

export type WelcomeMessage = Static<typeof Welcome>
export type WaitingMessage = Static<typeof Waiting>
export type WaitReason = (typeof WAIT_REASONS)[number]
export type DeniedMessage = Static<typeof Denied>
export type RedirectMessage = Static<typeof Redirect>
export type ErrorMessageShape = Static<typeof ErrorMessage>
export type SignalFromMessage = Static<typeof SignalFrom>
export type KeyDeliveryMessage = Static<typeof KeyDelivery>
export type IceRestartMessage = Static<typeof IceRestart>
export type IceRestartReason = (typeof ICE_RESTART_REASONS)[number]
export type ServerMessageShape = Static<typeof ServerMessage>
export type ServerMessageType = ServerMessageShape['type']
/** The message of a given type, e.g. `ServerMessageOf<'welcome'>`. */
export type ServerMessageOf<T extends ServerMessageType> = Extract<ServerMessageShape, { type: T }>
