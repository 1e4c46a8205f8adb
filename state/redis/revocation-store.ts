/** Revocations stored in the meeting's slot and published on the region's channel, atomically. */
import type { KeyBuilder } from '../keys.js'
import { StateError } from '../errors.js'
import type { RedisConnection } from '../redis-connection.js'
import type { PubSub } from '../pubsub.js'
import { ALL_PARTICIPANTS, decodeRevocation, encodeRevocation, revocationInForce, type RevocationMessage, type RevocationStore } from '../revocation.js'
import { runScript } from '../scripts.js'
import { guarded, type Guard } from './guard.js'

export function createRedisRevocationStore(conn: RedisConnection, keys: KeyBuilder, pubsub: PubSub, guard: Guard, now: () => number): RevocationStore {
  const channel = keys.channels().revocations
  return {
    region: keys.region,
    revoke: (meetingId, participantId, { ttlMs }) =>
      guarded(guard, async () => {
        const k = keys.meeting(meetingId)
        const at = now()
        const message: RevocationMessage = participantId === ALL_PARTICIPANTS ? { meetingId, at } : { meetingId, participantId, at }
        await runScript(conn.command, 'revoke', [k.revoked, k.policyVersion], [participantId, `${at}:${at + ttlMs}`, ttlMs, channel, encodeRevocation(message)])
        return message
      }),
    isRevoked: (meetingId, participantId) =>
      guarded(guard, async () => {
        const [one, all] = await conn.command.hmget(keys.meeting(meetingId).revoked, participantId, ALL_PARTICIPANTS)
        const t = now()
        return revocationInForce(one, t) || revocationInForce(all, t)
      }),
    subscribe: (listener) =>
      pubsub.subscribe(channel, (raw) => {
        const m = decodeRevocation(raw)
        if (!m) throw new StateError('ERR_STATE_CORRUPT', `undecodable revocation message on ${channel}: ${raw.slice(0, 100)}`)
        listener(m)
      }),
  }
}
