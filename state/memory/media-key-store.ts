/** The sealed media key in process memory. */
import type { KeyBuilder } from '../keys.js'
import type { MediaKeyStore } from '../media-keys.js'
import { guarded, type Guard } from '../redis/guard.js'
import type { MemoryRegion } from './backend.js'

export function createMemoryMediaKeyStore(mem: MemoryRegion, keys: KeyBuilder, guard: Guard): MediaKeyStore {
  return {
    region: mem.region,
    rotate: (meetingId, expectedEpoch, sealed) =>
      guarded(guard, async () => {
        keys.meeting(meetingId)
        const m = mem.meeting(meetingId)
        if (!m) return { ok: false, refusal: 'not_found' } as const
        if (m.status === 'ended') return { ok: false, refusal: 'ended' } as const
        if ((m.mediaKey?.epoch ?? 0) !== expectedEpoch) return { ok: false, refusal: 'version_conflict' } as const
        m.mediaKey = { epoch: expectedEpoch + 1, sealed, createdAt: mem.now() }
        return { ok: true, value: { ...m.mediaKey } }
      }),
    current: (meetingId) =>
      guarded(guard, async () => {
        keys.meeting(meetingId)
        const k = mem.meeting(meetingId)?.mediaKey
        return k && { ...k }
      }),
  }
}
