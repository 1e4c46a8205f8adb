/**
 * Meetings in process memory, with the same rules as the Lua scripts (each method body
 * runs without an await in the middle, so it is as atomic as a script).
 */
import type { KeyBuilder } from '../keys.js'
import type { JoinWrite, LeaveWrite, MeetingChange, MeetingRecord, MeetingStore, Outcome, Participant, ParticipantStatus, ParticipantWriteOptions } from '../meetings.js'
import { DEFAULT_DEPARTED_KEPT } from '../meetings.js'
import { homeRegionOf } from '../meeting-id.js'
import { encodeRevocation } from '../revocation.js'
import { guarded, type Guard } from '../redis/guard.js'
import type { MemoryMeeting, MemoryRegion } from './backend.js'

const byJoinOrder = (a: Participant, b: Participant) => a.joinedAt - b.joinedAt || (a.id < b.id ? -1 : 1)

const no = <T>(refusal: Exclude<Outcome<T>, { ok: true }>['refusal']): Outcome<T> => ({ ok: false, refusal })

export function toRecord(m: MemoryMeeting): MeetingRecord {
  return structuredClone({
    ...m.record,
    status: m.status,
    version: m.version,
    ...(m.endedAt === undefined ? {} : { endedAt: m.endedAt }),
  })
}

export function createMemoryMeetingStore(mem: MemoryRegion, keys: KeyBuilder, guard: Guard): MeetingStore {
  const channels = keys.channels()
  const invalidate = (id: string, m: MemoryMeeting) => {
    m.policyVersion += 1
    void mem.pubsub.publish(channels.policy, JSON.stringify({ meetingId: id, version: m.policyVersion }))
  }
  const find = (id: string) => {
    keys.meeting(id) // same home-region check as the Redis keys
    return mem.meeting(id)
  }

  /** Participants who left, oldest first (a Map keeps insertion order): the capped history. */
  const departed = new WeakMap<MemoryMeeting, Map<string, number>>()
  const departedOf = (m: MemoryMeeting) => {
    let d = departed.get(m)
    if (!d) departed.set(m, (d = new Map()))
    return d
  }
  const admittedOf = (m: MemoryMeeting): Participant[] =>
    [...m.admitted].flatMap((id) => {
      const p = m.participants.get(id)
      return p ? [structuredClone({ ...p, status: 'admitted' as const })] : []
    }).sort(byJoinOrder)

  type Written = { policyVersion: number; previous: ParticipantStatus | undefined; meetingVersion: number; m: MemoryMeeting }
  const write = (meetingId: string, mode: 'put' | 'status' | 'leave', participantId: string, next: Omit<Participant, 'status'> | undefined, status: ParticipantStatus, o: ParticipantWriteOptions): Outcome<Written> => {
    const m = find(meetingId)
    if (!m) return no('not_found')
    const joining = status === 'waiting' || status === 'admitted'
    if (m.status === 'ended' && joining) return no('ended')
    const old = m.participants.get(participantId)
    const oldStatus = m.statuses.get(participantId)
    if (!next && !old) return no('unknown_participant')
    if (mode === 'leave' && oldStatus !== 'waiting' && oldStatus !== 'admitted') return no('unknown_participant')
    if (mode === 'leave' && o.session !== undefined && o.session !== '' && typeof old?.session === 'string' && old.session !== o.session) return no('unknown_participant')
    if (joining && !o.allowBanned && m.banned.has(participantId)) return no('banned')
    if (status === 'admitted' && oldStatus !== 'admitted' && (o.capacity ?? 0) > 0 && m.admitted.size >= o.capacity!) return no('full')
    const p = next ?? old!
    if (oldStatus === 'admitted' && old) {
      for (const a of old.addresses) {
        const n = (m.endpoints.get(a) ?? 0) - 1
        if (n <= 0) m.endpoints.delete(a)
        else m.endpoints.set(a, n)
      }
    }
    if (status === 'admitted') for (const a of p.addresses) m.endpoints.set(a, (m.endpoints.get(a) ?? 0) + 1)
    if (status === 'admitted') m.admitted.add(participantId)
    else m.admitted.delete(participantId)
    if (status === 'admitted' && (p.role === 'host' || p.role === 'co-host')) m.hosts.add(participantId)
    else m.hosts.delete(participantId)
    if (status === 'removed' && o.ban) m.banned.add(participantId)
    if (next) m.participants.set(participantId, structuredClone(next))
    m.statuses.set(participantId, status)
    const at = mem.now()
    const history = departedOf(m)
    if (status === 'left') {
      history.delete(participantId)
      history.set(participantId, at)
      const kept = o.departedKept ?? DEFAULT_DEPARTED_KEPT
      for (const id of history.keys()) {
        if (kept <= 0 || history.size <= kept) break
        history.delete(id)
        if (m.statuses.get(id) === 'left') {
          m.participants.delete(id)
          m.statuses.delete(id)
        }
      }
    } else {
      history.delete(participantId)
    }
    if ((o.revokeTtlMs ?? 0) > 0) {
      mem.revoked(meetingId).set(participantId, { at, expiresAt: at + o.revokeTtlMs! })
      void mem.pubsub.publish(channels.revocations, encodeRevocation({ meetingId, participantId, at }))
    }
    invalidate(meetingId, m)
    return { ok: true, value: { policyVersion: m.policyVersion, previous: oldStatus, meetingVersion: m.version, m } }
  }
  const put = (meetingId: string, p: Participant, o: ParticipantWriteOptions) => {
    const { status, ...rest } = p
    return write(meetingId, 'put', p.id, { ...rest, addresses: [...rest.addresses] }, status, o)
  }
  const versionOf = (r: Outcome<Written>): Outcome<number> => (r.ok ? { ok: true, value: r.value.policyVersion } : r)

  return {
    region: mem.region,
    create: (n) =>
      guarded(guard, async () => {
        if (find(n.id)) return no<MeetingRecord>('exists')
        const { status, ...rest } = structuredClone(n)
        const m: MemoryMeeting = {
          record: { ...rest, homeRegion: homeRegionOf(n.id) ?? '' },
          version: 1,
          status: status ?? 'active',
          participants: new Map(),
          statuses: new Map(),
          banned: new Set(),
          endpoints: new Map(),
          admitted: new Set(),
          hosts: new Set(),
          policyVersion: 1,
        }
        mem.setMeeting(n.id, m)
        return { ok: true, value: toRecord(m) }
      }),
    get: (id) => guarded(guard, async () => {
      const m = find(id)
      return m && toRecord(m)
    }),
    update: (id, expectedVersion, change: MeetingChange) =>
      guarded(guard, async () => {
        const m = find(id)
        if (!m) return no<MeetingRecord>('not_found')
        if (m.status === 'ended') return no<MeetingRecord>('ended')
        if (m.version !== expectedVersion) return no<MeetingRecord>('version_conflict')
        const { status, ...rest } = structuredClone(change)
        m.record = { ...m.record, ...rest }
        if (status) m.status = status
        m.version += 1
        invalidate(id, m)
        return { ok: true, value: toRecord(m) }
      }),
    end: (id, o) =>
      guarded(guard, async () => {
        const m = find(id)
        if (!m) return no<MeetingRecord>('not_found')
        if (m.status === 'ended') return no<MeetingRecord>('ended')
        const at = mem.now()
        m.status = 'ended'
        m.endedAt = at
        m.version += 1
        m.hosts.clear()
        delete m.mediaKey
        mem.revoked(id).set('*', { at, expiresAt: at + o.revokeTtlMs })
        if ((o.retentionMs ?? 0) > 0) m.expiresAt = at + Math.max(o.retentionMs!, o.revokeTtlMs)
        void mem.pubsub.publish(channels.revocations, encodeRevocation({ meetingId: id, at }))
        invalidate(id, m)
        return { ok: true, value: toRecord(m) }
      }),
    putParticipant: (meetingId, p, o = {}) => guarded(guard, async () => versionOf(put(meetingId, p, o))),
    setParticipantStatus: (meetingId, participantId, status, o = {}) =>
      guarded(guard, async () => versionOf(write(meetingId, 'status', participantId, undefined, status, o))),
    joinParticipant: (meetingId, p, o = {}) =>
      guarded(guard, async (): Promise<Outcome<JoinWrite>> => {
        const r = put(meetingId, p, o)
        return r.ok ? { ok: true, value: { policyVersion: r.value.policyVersion, admitted: admittedOf(r.value.m) } } : r
      }),
    leaveParticipant: (meetingId, participantId, o = {}) =>
      guarded(guard, async (): Promise<Outcome<LeaveWrite>> => {
        const r = write(meetingId, 'leave', participantId, undefined, 'left', o)
        if (!r.ok) return r
        return { ok: true, value: { policyVersion: r.value.policyVersion, previous: r.value.previous as LeaveWrite['previous'], meetingVersion: r.value.meetingVersion } }
      }),
    admissionView: (meetingId, participantId) =>
      guarded(guard, async () => {
        const m = find(meetingId)
        if (!m) return undefined
        const own = m.participants.get(participantId)
        return {
          meeting: toRecord(m),
          ...(own ? { previous: structuredClone({ ...own, status: m.statuses.get(participantId) ?? 'left' }) } : {}),
          admittedCount: m.admitted.size,
          hostCount: m.hosts.size,
        }
      }),
    listAdmitted: (meetingId) =>
      guarded(guard, async () => {
        const m = find(meetingId)
        return m ? admittedOf(m) : []
      }),
    setGrant: (meetingId, participantId, capability, grant) =>
      guarded(guard, async (): Promise<Outcome<Participant>> => {
        const m = find(meetingId)
        if (!m) return no('not_found')
        if (m.status === 'ended') return no('ended')
        const p = m.participants.get(participantId)
        const status = m.statuses.get(participantId) ?? 'left'
        if (!p || status === 'removed') return no('unknown_participant')
        const next = { ...p, grants: { ...p.grants, [capability]: grant } }
        m.participants.set(participantId, structuredClone(next))
        return { ok: true, value: structuredClone({ ...next, status }) }
      }),
    getParticipant: (meetingId, participantId) =>
      guarded(guard, async () => {
        const m = find(meetingId)
        const p = m?.participants.get(participantId)
        return p && structuredClone({ ...p, status: m!.statuses.get(participantId) ?? 'left' })
      }),
    listParticipants: (meetingId) =>
      guarded(guard, async () => {
        const m = find(meetingId)
        if (!m) return []
        return [...m.participants.values()]
          .map((p) => structuredClone({ ...p, status: m.statuses.get(p.id) ?? 'left' }))
          .sort(byJoinOrder)
      }),
    isBanned: (meetingId, participantId) => guarded(guard, async () => find(meetingId)?.banned.has(participantId) ?? false),
    admittedCount: (meetingId) => guarded(guard, async () => find(meetingId)?.admitted.size ?? 0),
    hostPresent: (meetingId) => guarded(guard, async () => (find(meetingId)?.hosts.size ?? 0) > 0),
  }
}
