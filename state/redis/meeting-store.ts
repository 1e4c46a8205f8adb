/**
 * Meetings and participants in the home region's Redis. Every multi-key change is one
 * Lua script over keys of the meeting's hash tag; reads of several keys use a read-only
 * script or MULTI (same slot, so both work on Cluster).
 *
 * Decoded meeting records are memoised by their stored text: a record is only parsed
 * again when the bytes Redis returned differ, so no invalidation is needed across nodes
 * (every read still goes to Redis; only the JSON.parse is saved). Memoised records are
 * frozen, since every caller of the node shares them. Only running meetings are memoised
 * (at most MEMO_SIZE, oldest first out): an ended meeting is read rarely and never joined
 * again, and keeping it filled a node with thousands of dead records (issue 9 item 15).
 */
import type { KeyBuilder } from '../keys.js'
import type { RedisConnection } from '../redis-connection.js'
import type { JoinWrite, LeaveWrite, MeetingChange, MeetingRecord, MeetingStore, NewMeeting, Outcome, Participant, ParticipantStatus, ParticipantWriteOptions } from '../meetings.js'
import { DEFAULT_DEPARTED_KEPT, REFUSAL_BY_CODE } from '../meetings.js'
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

const MEMO_SIZE = 4096
const GRANT_ATTEMPTS = 8

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const v of Object.values(value)) deepFreeze(v)
  }
  return value
}

/** participantId, JSON pairs (all admitted) into participants in join order. */
function admittedFrom(flat: readonly unknown[], from: number): Participant[] {
  const out: Participant[] = []
  for (let i = from; i + 1 < flat.length; i += 2) out.push(decodeParticipant(String(flat[i + 1]), 'admitted'))
  return out.sort(byJoinOrder)
}

function byJoinOrder(a: Participant, b: Participant): number {
  return a.joinedAt - b.joinedAt || (a.id < b.id ? -1 : 1)
}

export function createRedisMeetingStore(conn: RedisConnection, keys: KeyBuilder, guard: Guard, now: () => number): MeetingStore {
  const channels = keys.channels()
  const redis = conn.command
  const memo = new Map<string, { rec: string; v: string; status: string; endedAt: string | null; record: MeetingRecord }>()

  const record = (meetingId: string, rec: string, v: string, status: string, endedAt: string | null | undefined): MeetingRecord => {
    const ended = endedAt ?? null
    const hit = memo.get(meetingId)
    if (hit && hit.rec === rec && hit.v === v && hit.status === status && hit.endedAt === ended) return hit.record
    const fresh = deepFreeze(decodeMeeting(rec, v, status, ended))
    if (status === 'ended') {
      memo.delete(meetingId)
      return fresh
    }
    if (!hit && memo.size >= MEMO_SIZE) memo.delete(memo.keys().next().value!)
    memo.set(meetingId, { rec, v, status, endedAt: ended, record: fresh })
    return fresh
  }

  const read = async (meetingId: string): Promise<MeetingRecord | undefined> => {
    const [rec, v, status, endedAt] = await redis.hmget(keys.meeting(meetingId).meeting, 'rec', 'v', 'status', 'endedAt')
    return rec && v && status ? record(meetingId, rec, v, status, endedAt) : undefined
  }

  /** participant-set; a negative code, or { policyVersion, previous status, meeting version, admitted? }. */
  const writeParticipant = async (meetingId: string, mode: 'put' | 'status' | 'leave', participantId: string, json: string, status: ParticipantStatus, o: ParticipantWriteOptions, list: boolean) => {
    const k = keys.meeting(meetingId)
    const at = now()
    const revokeTtl = o.revokeTtlMs ?? 0
    const revocation = revokeTtl > 0 ? `${at}:${at + revokeTtl}` : ''
    const r = await runScript(redis, 'participant-set',
      [k.meeting, k.participants, k.participantStatus, k.banned, k.endpoints, k.hosts, k.revoked, k.policyVersion, k.admitted, k.departed],
      [mode, participantId, json, status, o.ban ? 1 : 0, o.allowBanned ? 1 : 0, revocation, revokeTtl, meetingId,
        channels.revocations, encodeRevocation({ meetingId, participantId, at }), channels.policy, o.capacity ?? 0,
        o.departedKept ?? DEFAULT_DEPARTED_KEPT, list ? 1 : 0, at, o.session ?? ''])
    if (typeof r === 'number') return r
    const flat = r as unknown[]
    return { policyVersion: Number(flat[0]), previous: String(flat[1]), meetingVersion: Number(flat[2]), flat }
  }

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
        const retention = o.retentionMs ?? 0
        const args = [at, `${at}:${at + o.revokeTtlMs}`, o.revokeTtlMs, retention, meetingId, channels.revocations, encodeRevocation({ meetingId, at }), channels.policy]
        const endKeys = [k.meeting, k.participants, k.participantStatus, k.banned, k.endpoints, k.hosts, k.revoked, k.policyVersion, k.audit, k.admitted, k.mediaKey]
        let r: number
        if (retention > 0) {
          // The departed history goes with the rest of the meeting, in the same transaction.
          const tx = redis.multi() as unknown as Record<string, (...a: (string | number)[]) => unknown> & { pexpire(key: string, ms: number): unknown; exec(): Promise<[Error | null, unknown][] | null> }
          tx.srMeetingEnd!(...endKeys, ...args)
          tx.pexpire(k.departed, retention)
          const res = await tx.exec()
          if (!res || res[0]![0]) throw res?.[0]?.[0] ?? new StateError('ERR_STATE_COMMAND', 'meeting-end transaction aborted')
          r = Number(res[0]![1])
        } else {
          r = Number(await runScript(redis, 'meeting-end', endKeys, args))
        }
        if (r < 0) return refused<MeetingRecord>(r)
        const m = await read(meetingId)
        if (!m) throw new StateError('ERR_STATE_COMMAND', `meeting ${meetingId} vanished after end`)
        return { ok: true, value: m }
      }),
    putParticipant: (meetingId, p: Participant, o = {}) =>
      guarded(guard, async (): Promise<Outcome<number>> => {
        const r = await writeParticipant(meetingId, 'put', p.id, encodeParticipant(p), p.status, o, false)
        return typeof r === 'number' ? refused(r) : { ok: true, value: r.policyVersion }
      }),
    setParticipantStatus: (meetingId, participantId, status, o = {}) =>
      guarded(guard, async (): Promise<Outcome<number>> => {
        const r = await writeParticipant(meetingId, 'status', participantId, '', status, o, false)
        return typeof r === 'number' ? refused(r) : { ok: true, value: r.policyVersion }
      }),
    joinParticipant: (meetingId, p: Participant, o = {}) =>
      guarded(guard, async (): Promise<Outcome<JoinWrite>> => {
        const r = await writeParticipant(meetingId, 'put', p.id, encodeParticipant(p), p.status, o, true)
        return typeof r === 'number' ? refused(r) : { ok: true, value: { policyVersion: r.policyVersion, admitted: admittedFrom(r.flat, 3) } }
      }),
    leaveParticipant: (meetingId, participantId, o = {}) =>
      guarded(guard, async (): Promise<Outcome<LeaveWrite>> => {
        const r = await writeParticipant(meetingId, 'leave', participantId, '', 'left', o, false)
        if (typeof r === 'number') return refused(r)
        return { ok: true, value: { policyVersion: r.policyVersion, previous: r.previous as LeaveWrite['previous'], meetingVersion: r.meetingVersion } }
      }),
    admissionView: (meetingId, participantId) =>
      guarded(guard, async () => {
        const k = keys.meeting(meetingId)
        const r = (await runScript(redis, 'participant-view', [k.meeting, k.participants, k.participantStatus, k.admitted, k.hosts], [participantId])) as (string | number | null)[]
        if (r.length === 0) return undefined
        const [rec, v, status, endedAt, own, ownStatus, admitted, hosts] = r
        const meeting = record(meetingId, String(rec), String(v), String(status), endedAt === null ? null : String(endedAt))
        return {
          meeting,
          ...(own ? { previous: decodeParticipant(String(own), ownStatus === null ? null : String(ownStatus)) } : {}),
          admittedCount: Number(admitted),
          hostCount: Number(hosts),
        }
      }),
    listAdmitted: (meetingId) =>
      guarded(guard, async () => {
        const k = keys.meeting(meetingId)
        return admittedFrom((await runScript(redis, 'participant-admitted', [k.participants, k.admitted], [])) as unknown[], 0)
      }),
    setGrant: (meetingId, participantId, capability, grant) =>
      guarded(guard, async (): Promise<Outcome<Participant>> => {
        const k = keys.meeting(meetingId)
        for (let attempt = 0; attempt < GRANT_ATTEMPTS; attempt++) {
          const res = await redis.multi().hget(k.participants, participantId).hget(k.participantStatus, participantId).exec()
          const raw = res?.[0]?.[1] as string | null
          if (!raw) return (await read(meetingId)) ? refused(-6) : refused(-1)
          const current = decodeParticipant(raw, res?.[1]?.[1] as string | null)
          const next: Participant = { ...current, grants: { ...current.grants, [capability]: grant } }
          const r = Number(await runScript(redis, 'participant-grant', [k.meeting, k.participants, k.participantStatus], [participantId, raw, encodeParticipant(next)]))
          if (r === 1) return { ok: true, value: next }
          if (r !== -2) return refused(r)
        }
        return refused(-2)
      }),
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
        return Object.entries(all).map(([id, raw]) => decodeParticipant(raw, statuses[id])).sort(byJoinOrder)
      }),
    isBanned: (meetingId, participantId) => guarded(guard, async () => (await redis.sismember(keys.meeting(meetingId).banned, participantId)) === 1),
    admittedCount: (meetingId) => guarded(guard, () => redis.scard(keys.meeting(meetingId).admitted)),
    hostPresent: (meetingId) => guarded(guard, async () => (await redis.scard(keys.meeting(meetingId).hosts)) > 0),
  }
}
