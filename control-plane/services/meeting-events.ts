/**
 * What the meeting service tells the rest of the region: a typed event map in the
 * mediasoup style. Every event carries the meeting id, the node that caused it (`origin`)
 * and when. The service emits each event locally and publishes it on the region's bus
 * (channel `MEETING_EVENTS_CHANNEL`); `MeetingService.listen()` re-emits the events of the
 * region's OTHER nodes, so a listener on any node sees every event of the region exactly
 * once, and never an event of another region (bus channels carry the region).
 */
import type { MeetingSecuritySettings } from '../../config/schema.js'
import type { Reason } from '../../geo/verdict.js'
import type { ParticipantRole } from '../../state/meetings.js'

export const MEETING_EVENTS_CHANNEL = 'meeting-events'

interface Base {
  readonly meetingId: string
  /** Control-plane node id that caused the event. */
  readonly origin: string
  readonly at: number
}

/** A participant id when a host acted over signaling; absent when the tenant's backend did (HTTP). */
type By = { readonly by?: string }

/** Who arrived (identity, a host's grants), so listeners need not read the participant back. */
type Who = {
  readonly identity?: string; readonly grants?: Readonly<Record<string, boolean>>
  /** The signaling session that joined (absent when a host admitted): older sessions of the participant are replaced. */
  readonly session?: string
}

export type MeetingEvent =
  | (Base & { readonly type: 'meeting-created'; readonly tenantId: string })
  | (Base & By & { readonly type: 'meeting-updated'; readonly settings: MeetingSecuritySettings; readonly version: number })
  | (Base & By & { readonly type: 'meeting-locked' })
  | (Base & By & { readonly type: 'meeting-unlocked' })
  /** Close every socket of the meeting; relays already got the meeting-wide revocation. */
  | (Base & By & { readonly type: 'meeting-ended' })
  /** Close the participant's socket; relays already got its revocation. */
  | (Base & By & { readonly type: 'participant-removed'; readonly participantId: string; readonly banned: boolean })
  | (Base & Who & { readonly type: 'participant-waiting'; readonly participantId: string; readonly role: ParticipantRole; readonly reason: 'waiting_room' | 'host_not_present' })
  /** `reconnected`: it was admitted already (back within its presence lease): the others need no participant-joined. */
  | (Base & Who & { readonly type: 'participant-admitted'; readonly participantId: string; readonly role: ParticipantRole; readonly by?: string; readonly reconnected?: boolean })
  | (Base & By & { readonly type: 'participant-denied'; readonly participantId: string })
  /** `session`: the signaling session whose seat it was (absent when none was named). */
  | (Base & { readonly type: 'participant-left'; readonly participantId: string; readonly session?: string })
  /** Managed key mode: someone left or was removed, the media key must change. */
  | (Base & { readonly type: 'key-rotation-needed'; readonly reason: 'participant-left' | 'participant-removed' })
  /** A residency decision refused something (for metrics and dashboards). */
  | (Base & { readonly type: 'refused'; readonly reason: Reason; readonly kind: string })

export type MeetingEventType = MeetingEvent['type']

/** `{ 'meeting-ended': [event], ... }` for EventEmitter<MeetingEventMap>. */
export type MeetingEventMap = { [E in MeetingEvent as E['type']]: [event: E] }

export const MEETING_EVENT_TYPES: readonly MeetingEventType[] = [
  'meeting-created', 'meeting-updated', 'meeting-locked', 'meeting-unlocked', 'meeting-ended', 'participant-removed',
  'participant-waiting', 'participant-admitted', 'participant-denied', 'participant-left', 'key-rotation-needed', 'refused',
]

export function isMeetingEvent(value: unknown): value is MeetingEvent {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Record<string, unknown>
  return typeof v.meetingId === 'string' && typeof v.origin === 'string' && typeof v.at === 'number'
    && typeof v.type === 'string' && (MEETING_EVENT_TYPES as readonly string[]).includes(v.type)
}
