/**
 * Presence leases in the region's Redis: one sorted set under `{<region>:presence}`
 * (state/keys.ts). Taking, renewing and dropping are single commands; claiming what ran
 * out is the `presence-expired` script, so two nodes never claim the same lease at once.
 */
import type { KeyBuilder } from '../keys.js'
import { decodeLease, encodeLease, type PresenceLease, type PresenceStore } from '../presence.js'
import type { RedisConnection } from '../redis-connection.js'
import { runScript } from '../scripts.js'
import { guarded, type Guard } from './guard.js'

/** Leases renewed per ZADD: bounded commands on a node holding many sockets. */
const RENEW_CHUNK = 1000

export function createRedisPresenceStore(conn: RedisConnection, keys: KeyBuilder, guard: Guard, now: () => number): PresenceStore {
  const key = keys.presence()
  const redis = conn.command
  return {
    region: keys.region,
    hold: (lease, leaseMs) => guarded(guard, async () => {
      await redis.zadd(key, now() + leaseMs, encodeLease(lease))
    }),
    renew: (leases, leaseMs) => guarded(guard, async () => {
      const until = now() + leaseMs
      // Nothing to renew still makes one round trip: the caller learns whether the region's state answers.
      if (leases.length === 0) await redis.exists(key)
      for (let i = 0; i < leases.length; i += RENEW_CHUNK) {
        const args = leases.slice(i, i + RENEW_CHUNK).flatMap((l) => [until, encodeLease(l)])
        // XX: only leases still there; one released (left) or claimed and settled meanwhile stays gone.
        await redis.zadd(key, 'XX', ...args)
      }
    }),
    release: (lease) => guarded(guard, async () => {
      await redis.zrem(key, encodeLease(lease))
    }),
    claimExpired: (claimMs, limit) => guarded(guard, async () => {
      const at = now()
      const members = (await runScript(redis, 'presence-expired', [key], [at, at + claimMs, limit])) as string[]
      return members.flatMap((m) => decodeLease(m) ?? [])
    }),
  }
}
