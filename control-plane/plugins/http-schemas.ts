/**
 * TypeBox schemas of the HTTP API: request validation, response serialization and the
 * OpenAPI document are all derived from these.
 */
import { Type, type Static } from '@sinclair/typebox'

import { CountryCode } from '../../config/schema.js'
import { MeetingId, ParticipantId, RegionId } from '../protocol/common.js'
import { ERROR_CODE_NAMES } from '../protocol/error-codes.js'

export const ErrorBody = Type.Object({
  code: Type.String({ description: `a stable error code: ${ERROR_CODE_NAMES.join(', ')}` }),
  message: Type.String(),
})

export const RedirectBody = Type.Object({
  code: Type.Literal('SR_REDIRECT_HOME_REGION'),
  message: Type.String(),
  region: RegionId,
  location: Type.String(),
})

/* Literal tuples (not mapped arrays) so the type provider infers the unions. */
const Role = Type.Union([Type.Literal('host'), Type.Literal('co-host'), Type.Literal('attendee')])
const Capability = Type.Union([Type.Literal('screenShare'), Type.Literal('fileTransfer'), Type.Literal('recording')])
const Mode = Type.Union([Type.Literal('open'), Type.Literal('allow'), Type.Literal('block')])
const Unknown = Type.Union([Type.Literal('allow'), Type.Literal('deny')])

export const AttendeePolicyInput = Type.Object({
  mode: Type.Optional(Mode),
  countries: Type.Optional(Type.Array(CountryCode, { maxItems: 250 })),
  unknown: Type.Optional(Unknown),
}, { additionalProperties: false })

export const AttendeePolicyView = Type.Object({ mode: Mode, countries: Type.Array(Type.String()), unknown: Unknown })

const Recording = Type.Union([Type.Literal('off'), Type.Literal('host'), Type.Literal('everyone')])
const KeyModeSchema = Type.Union([Type.Literal('e2ee'), Type.Literal('managed')])
const ResidencyModeSchema = Type.Union([Type.Literal('region'), Type.Literal('jurisdiction')])

/** Security settings a tenant may set; each absent field falls back to the tenant's defaults, then the built-ins. */
const securityInput = {
  passcode: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'generated (12 digits) when the meeting requires one and none is given; at least the region\'s passcodes.minLength characters (default 6), else 422 SR_PASSCODE_TOO_WEAK' })),
  passcodeRequired: Type.Optional(Type.Boolean()),
  waitingRoom: Type.Optional(Type.Boolean()),
  joinBeforeHost: Type.Optional(Type.Boolean({ description: 'default off' })),
  hostOnlyScreenShare: Type.Optional(Type.Boolean({ description: 'default on' })),
  fileTransfer: Type.Optional(Type.Boolean({ description: 'default off' })),
  recording: Type.Optional(Recording),
  allowRejoinAfterRemoval: Type.Optional(Type.Boolean({ description: 'default off' })),
  capacity: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000 })),
  keyMode: Type.Optional(KeyModeSchema),
}

export const CreateMeetingBody = Type.Object({
  region: Type.Optional(RegionId),
  residencyMode: Type.Optional(ResidencyModeSchema),
  attendeePolicy: Type.Optional(AttendeePolicyInput),
  title: Type.Optional(Type.String({ maxLength: 200 })),
  ...securityInput,
}, { additionalProperties: false })
export type CreateMeetingBodyShape = Static<typeof CreateMeetingBody>

export const UpdateMeetingBody = Type.Object({
  attendeePolicy: Type.Optional(AttendeePolicyInput),
  title: Type.Optional(Type.String({ maxLength: 200 })),
  ...securityInput,
}, { additionalProperties: false })

export const SettingsView = Type.Object({
  passcodeRequired: Type.Boolean(),
  waitingRoom: Type.Boolean(),
  joinBeforeHost: Type.Boolean(),
  hostOnlyScreenShare: Type.Boolean(),
  fileTransfer: Type.Boolean(),
  recording: Recording,
  allowRejoinAfterRemoval: Type.Boolean(),
  capacity: Type.Integer(),
  keyMode: KeyModeSchema,
})

export const MeetingView = Type.Object({
  id: MeetingId,
  tenantId: Type.String(),
  homeRegion: RegionId,
  residencyMode: ResidencyModeSchema,
  allowedRegions: Type.Array(RegionId),
  attendeePolicy: AttendeePolicyView,
  settings: SettingsView,
  passcode: Type.Optional(Type.String()),
  title: Type.Optional(Type.String()),
  status: Type.Union([Type.Literal('active'), Type.Literal('locked'), Type.Literal('ended')]),
  locked: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
  endedAt: Type.Optional(Type.String({ format: 'date-time' })),
  version: Type.Integer(),
  /** The home region's control plane: where participants connect. */
  controlPlaneUrl: Type.String(),
})
export type MeetingViewShape = Static<typeof MeetingView>

/** Ids in paths are plain strings here: a malformed id is a 404 from the service, like a missing one. */
const PathId = Type.String({ minLength: 1, maxLength: 128 })
export const MeetingParams = Type.Object({ meetingId: PathId })
export const ParticipantParams = Type.Object({ meetingId: PathId, participantId: PathId })

export const ParticipantView = Type.Object({
  id: ParticipantId,
  identity: Type.String(),
  role: Role,
  status: Type.Union([Type.Literal('waiting'), Type.Literal('admitted'), Type.Literal('left'), Type.Literal('removed')]),
  country: Type.Optional(Type.String()),
  node: Type.String(),
  joinedAt: Type.String({ format: 'date-time' }),
})

export const RemovedView = Type.Object({ participant: ParticipantView, banned: Type.Boolean(), revoked: Type.Boolean() })

export const MintTokenBody = Type.Object({
  identity: Type.String({ minLength: 1, maxLength: 128 }),
  displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  role: Role,
  capabilities: Type.Optional(Type.Array(Capability, { maxItems: 3 })),
  ttlSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86400, description: 'default 600' })),
}, { additionalProperties: false })

export const MintedTokenView = Type.Object({
  token: Type.String(),
  meetingId: MeetingId,
  participantId: ParticipantId,
  expiresAt: Type.Integer({ description: 'unix seconds' }),
  controlPlaneUrl: Type.String(),
})

/** Errors every authenticated meeting route may answer. */
export const meetingErrors = {
  307: RedirectBody,
  401: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
  410: ErrorBody,
  422: ErrorBody,
}
