/** Meeting and participant records → the HTTP views of http-schemas.ts. */
import type { Region } from '../../config/network-config.js'
import type { Participant } from '../../state/meetings.js'
import type { Meeting } from '../services/meeting-service.js'
import type { Static } from '@sinclair/typebox'

import type { MeetingViewShape, ParticipantView } from './http-schemas.js'

export function meetingView(meeting: Meeting, home: Region): MeetingViewShape {
  return {
    id: meeting.id,
    tenantId: meeting.tenantId,
    homeRegion: meeting.homeRegion,
    residencyMode: meeting.residencyMode,
    allowedRegions: [...meeting.allowedRegions],
    attendeePolicy: { mode: meeting.attendeePolicy.mode, countries: [...meeting.attendeePolicy.countries], unknown: meeting.attendeePolicy.unknown },
    settings: { ...meeting.settings },
    ...(meeting.passcode === undefined ? {} : { passcode: meeting.passcode }),
    ...(meeting.title === undefined ? {} : { title: meeting.title }),
    status: meeting.status,
    locked: meeting.status === 'locked',
    createdAt: new Date(meeting.createdAt).toISOString(),
    ...(meeting.endedAt === undefined ? {} : { endedAt: new Date(meeting.endedAt).toISOString() }),
    version: meeting.version,
    controlPlaneUrl: home.controlPlane.url,
  }
}

export function participantView(p: Participant): Static<typeof ParticipantView> {
  return {
    id: p.id,
    identity: p.identity,
    role: p.role,
    status: p.status,
    ...(p.country === undefined ? {} : { country: p.country }),
    node: p.node,
    joinedAt: new Date(p.joinedAt).toISOString(),
  }
}
