/**
 * How records are written into Redis values (and kept in the memory store, so both
 * implementations round-trip exactly the same shapes). Status and version live outside
 * the JSON so Lua scripts can change them without decoding and re-encoding JSON
 * (Redis' cjson turns an empty array into an object).
 */
import { homeRegionOf } from './meeting-id.js'
import { StateError } from './errors.js'
import type { MeetingRecord, MeetingStatus, NewMeeting, Participant, ParticipantStatus } from './meetings.js'

type StoredMeeting = Omit<MeetingRecord, 'homeRegion' | 'status' | 'endedAt' | 'version'>
type StoredParticipant = Omit<Participant, 'status'>

function parse<T>(what: string, raw: string): T {
  try {
    return JSON.parse(raw) as T
  } catch (cause) {
    throw new StateError('ERR_STATE_CORRUPT', `stored ${what} is not JSON`, { cause })
  }
}

export function encodeMeeting(m: NewMeeting | MeetingRecord): string {
  const stored: StoredMeeting = {
    id: m.id,
    tenantId: m.tenantId,
    residencyMode: m.residencyMode,
    allowedRegions: [...m.allowedRegions],
    attendeePolicy: m.attendeePolicy,
    settings: m.settings,
    createdAt: m.createdAt,
    ...(m.data === undefined ? {} : { data: m.data }),
  }
  return JSON.stringify(stored)
}

export function decodeMeeting(rec: string, version: string | number, status: string, endedAt: string | null | undefined): MeetingRecord {
  const stored = parse<StoredMeeting>('meeting', rec)
  return {
    ...stored,
    homeRegion: homeRegionOf(stored.id) ?? '',
    status: status as MeetingStatus,
    version: Number(version),
    ...(endedAt ? { endedAt: Number(endedAt) } : {}),
  }
}

export function encodeParticipant(p: Participant): string {
  const { status: _status, ...stored } = p
  return JSON.stringify({ ...stored, addresses: [...stored.addresses] } satisfies StoredParticipant)
}

export function decodeParticipant(raw: string, status: string | null | undefined): Participant {
  const stored = parse<StoredParticipant>('participant', raw)
  return { ...stored, status: (status ?? 'left') as ParticipantStatus }
}
