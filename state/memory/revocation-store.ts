/**
 * Revocations in process memory. Like Redis, a revocation of a meeting that has no
 * record (yet) is still stored: the revocation does not depend on the meeting record.
 */
import type { KeyBuilder } from '../keys.js'
import { StateError } from '../errors.js'
import { ALL_PARTICIPANTS, decodeRevocation, encodeRevocation, type RevocationMessage, type RevocationStore } from '../revocation.js'
import { guarded, type Guard } from '../redis/guard.js'
import type { MemoryRegion } from './backend.js'
import type { PubSub } from '../pubsub.js'

export function createMemoryRevocationStore(mem: MemoryRegion, keys: KeyBuilder, pubsub: PubSub, guard: Guard): RevocationStore {
  const channel = keys.channels().revocations
  const table = (meetingId: string) => {
    keys.meeting(meetingId) // same home-region check as the Redis keys
    return mem.revoked(meetingId)
  }
  return {
    region: mem.region,
    revoke: (meetingId, participantId, { ttlMs }) =>
      guarded(guard, async () => {
        const at = mem.now()
        table(meetingId).set(participantId, { at, expiresAt: at + ttlMs })
        const m = mem.meeting(meetingId)
        if (m) m.policyVersion += 1
        const message: RevocationMessage = participantId === ALL_PARTICIPANTS ? { meetingId, at } : { meetingId, participantId, at }
        await mem.pubsub.publish(channel, encodeRevocation(message))
        return message
      }),
    isRevoked: (meetingId, participantId) =>
      guarded(guard, async () => {
        const t = mem.now()
        const tab = table(meetingId)
        return [participantId, ALL_PARTICIPANTS].some((id) => (tab.get(id)?.expiresAt ?? 0) > t)
      }),
    subscribe: (listener) =>
      pubsub.subscribe(channel, (raw) => {
        const m = decodeRevocation(raw)
        if (!m) throw new StateError('ERR_STATE_CORRUPT', `undecodable revocation message on ${channel}`)
        listener(m)
      }),
  }
}
