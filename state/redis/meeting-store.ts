/**
 * Meetings and participants in the home region's Redis. Every multi-key change is one
 * Lua script over keys of the meeting's hash tag; reads of several keys use MULTI
 * (same slot, so it works on Cluster).
 */
import type { KeyBuilder } from '../keys.js'
import type { RedisConnection } from '../redis-connection.js'
import type { MeetingChange, MeetingRecord, MeetingStore, NewMeeting, Outcome, Participant, ParticipantStatus, ParticipantWriteOptions } from '../meetings.js'
import { REFUSAL_BY_CODE } from '../meetings.js'
import { decodeMeeting, decodeParticipant, encodeMeeting, encodeParticipant } from '../codec.js'
import { encodeRevocation } from '../revocation.js'
import { runScript } from '../scripts.js'
import { StateError } from '../errors.js'
import { guarded, type Guard } from './guard.js'

function refused<T>(code: number): Outcome<T> {
  const refusal = REFUSAL_BY_CODE[code]
  if (!refusal) throw new StateError('ERR_STATE_COMMAND', `unexpected script result ${code}`)
  return { ok: false, refusal }
}

export function createRedisMeetingStore(conn: RedisConnection, keys: KeyBuilder, guard: Guard, now: () => number): MeetingStore {
  const channels = keys.channels()
  const redis = conn.command

  const read = async (meetingId: string): Promise<MeetingRecord | undefined> => {
    const [rec, v, status, endedAt] = await redis.hmget(keys.meeting(meetingId).meeting, 'rec', 'v', 'status', 'endedAt')
    return rec && v && status ? decodeMeeting(rec, v, status, endedAt) : undefined
  }

  const writeParticipant = (meetingId: string, mode: 'put' | 'status', participantId: string, json: string, status: ParticipantStatus, o: ParticipantWriteOptions) =>
    guarded(guard, async (): Promise<Outcome<number>> => {
      const k = keys.meeting(meetingId)
      const at = now()
      const revokeTtl = o.revokeTtlMs ?? 0
      const revocation = revokeTtl > 0 ? `${at}:${at + revokeTtl}` : ''
      const r = Number(await runScript(redis, 'participant-set',
        [k.meeting, k.participants, k.participantStatus, k.banned, k.endpoints, k.hosts, k.revoked, k.policyVersion, k.admitted],
        [mode, participantId, json, status, o.ban ? 1 : 0, o.allowBanned ? 1 : 0, revocation, revokeTtl, meetingId,
          channels.revocations, encodeRevocation({ meetingId, participantId, at }), channels.policy, o.capacity ?? 0]))
      return r < 0 ? refused(r) : { ok: true, value: r }
    })

  return {
    region: keys.region,
    create: (m: NewMeeting) =>
      guarded(guard, async () => {
        const k = keys.meeting(m.id)
        const status = m.status ?? 'active'
        const r = Number(await runScript(redis, 'meeting-create', [k.meeting, k.policyVersion], [encodeMeeting(m), status]))
        if (r < 0) return refused<MeetingRecord>(r)
        return { ok: true, value: decodeMeeting(encodeMeeting(m), 1, status, null) }
      }),
    get: (meetingId) => guarded(guard, () => read(meetingId)),
    update: (meetingId, expectedVersion, change: MeetingChange) =>
      guarded(guard, async () => {
        const k = keys.meeting(meetingId)
        const current = await read(meetingId)
        if (!current) return refused<MeetingRecord>(-1)
        const next = { ...current, ...change }
        const r = Number(await runScript(redis, 'meeting-update', [k.meeting, k.policyVersion],
          [expectedVersion, encodeMeeting(next), next.status, meetingId, channels.policy]))
        if (r < 0) return refused<MeetingRecord>(r)
        return { ok: true, value: { ...next, version: r } }
      }),
    end: (meetingId, o) =>
      guarded(guard, async () => {
        const k = keys.meeting(meetingId)
        const at = now()
        const r = Number(await runScript(redis, 'meeting-end',
          [k.meeting, k.participants, k.participantStatus, k.banned, k.endpoints, k.hosts, k.revoked, k.policyVersion, k.audit, k.admitted, k.mediaKey],
          [at, `${at}:${at + o.revokeTtlMs}`, o.revokeTtlMs, o.retentionMs ?? 0, meetingId,
            channels.revocations, encodeRevocation({ meetingId, at }), channels.policy]))
        if (r < 0) return refused<MeetingRecord>(r)
        const m = await read(meetingId)
        if (!m) throw new StateError('ERR_STATE_COMMAND', `meeting ${meetingId} vanished after end`)
        return { ok: true, value: m }
      }),
    putParticipant: (meetingId, p: Participant, o = {}) => writeParticipant(meetingId, 'put', p.id, encodeParticipant(p), p.status, o),
    setParticipantStatus: (meetingId, participantId, status, o = {}) => writeParticipant(meetingId, 'status', participantId, '', status, o),
    getParticipant: (meetingId, participantId) =>
      guarded(guard, async () => {
        const k = keys.meeting(meetingId)
        const res = await redis.multi().hget(k.participants, participantId).hget(k.participantStatus, participantId).exec()
        const raw = res?.[0]?.[1] as string | null
        return raw ? decodeParticipant(raw, res?.[1]?.[1] as string | null) : undefined
      }),
    listParticipants: (meetingId) =>
      guarded(guard, async () => {
        const k = keys.meeting(meetingId)
        const res = await redis.multi().hgetall(k.participants).hgetall(k.participantStatus).exec()
        const all = (res?.[0]?.[1] ?? {}) as Record<string, string>
        const statuses = (res?.[1]?.[1] ?? {}) as Record<string, string>
        return Object.entries(all)
          .map(([id, raw]) => decodeParticipant(raw, statuses[id]))
          .sort((a, b) => a.joinedAt - b.joinedAt || (a.id < b.id ? -1 : 1))
      }),
    isBanned: (meetingId, participantId) => guarded(guard, async () => (await redis.sismember(keys.meeting(meetingId).banned, participantId)) === 1),
    admittedCount: (meetingId) => guarded(guard, () => redis.scard(keys.meeting(meetingId).admitted)),
    hostPresent: (meetingId) => guarded(guard, async () => (await redis.scard(keys.meeting(meetingId).hosts)) > 0),
  }
}
