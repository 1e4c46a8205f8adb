/**
 * What the region's control-plane nodes tell each other about live sockets, on the
 * region's state bus (Redis pub/sub; never another region's): forwarded signals and
 * capability changes. Meeting lifecycle events travel separately (meeting-events.ts).
 */
import type { CapabilityName } from '../protocol/common.js'
import type { SignalFromMessage } from '../protocol/server-messages.js'

export const SIGNAL_BUS_CHANNEL = 'signaling'

export type SignalBusMessage =
  /** Deliver to `to` (or every admitted participant but the sender) wherever its socket is. */
  | { readonly t: 'signal'; readonly meetingId: string; readonly to: string; readonly message: SignalFromMessage }
  /** A host granted or revoked a right; the node holding the target's socket applies it. */
  | { readonly t: 'grant'; readonly meetingId: string; readonly participantId: string; readonly capability: CapabilityName; readonly grant: boolean; readonly by: string }
  /** The target's rights after a grant/revoke, for every participant of the meeting. */
  | { readonly t: 'capabilities'; readonly meetingId: string; readonly participantId: string; readonly capabilities: CapabilityName[]; readonly by: string }
  /** Managed key mode: a new key version is in force; every node delivers it to its admitted sockets. */
  | { readonly t: 'key-rotated'; readonly meetingId: string; readonly version: number; readonly reason: 'participant-left' | 'participant-removed' | 'scheduled' }

export function isSignalBusMessage(value: unknown): value is SignalBusMessage {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Record<string, unknown>
  if (typeof v.meetingId !== 'string') return false
  switch (v.t) {
    case 'signal': return typeof v.to === 'string' && typeof v.message === 'object' && v.message !== null
    case 'grant': return typeof v.participantId === 'string' && typeof v.capability === 'string' && typeof v.grant === 'boolean' && typeof v.by === 'string'
    case 'capabilities': return typeof v.participantId === 'string' && Array.isArray(v.capabilities) && typeof v.by === 'string'
    case 'key-rotated': return typeof v.version === 'number' && typeof v.reason === 'string'
    default: return false
  }
}
