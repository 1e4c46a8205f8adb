/**
 * The fleet in Redis: a sorted set of relay ids scored by heartbeat expiry plus a hash
 * of their last heartbeats, both under the region's `{<region>:fleet}` tag, and a hash
 * of operator drain requests under the same tag (so the heartbeat and live-set scripts
 * read it in the same slot).
 *
 * Why not one key per relay with a Redis TTL: listing those needs SCAN (slow, and per
 * node in Cluster) or a side set cleaned up anyway. The sorted set gives the live set
 * in one script call (one round trip) and drops expired relays on the way, so a killed
 * relay leaves nothing behind. Expiry uses the writer's clock, injected, so tests move
 * time by hand; clock skew between relays only shifts a 3 s TTL by their NTP error.
 */
import type { DrainRequest, FleetStore, HeartbeatReply, LiveRelay, RelayDrainRequest, RelayHeartbeat } from '../fleet.js'
import { DEFAULT_RELAY_TTL_MS, drainedView, parseDrainRequest, timedFleetRead } from '../fleet.js'
import type { KeyBuilder } from '../keys.js'
import type { RedisConnection } from '../redis-connection.js'
import { runScript } from '../scripts.js'
import { StateError } from '../errors.js'
import { guarded, type Guard } from './guard.js'

export function createRedisFleetStore(conn: RedisConnection, keys: KeyBuilder, guard: Guard, now: () => number): FleetStore {
  const k = keys.fleet()
  return {
    region: keys.region,
    heartbeat: (beat: RelayHeartbeat, ttlMs = DEFAULT_RELAY_TTL_MS) =>
      guarded(guard, async (): Promise<HeartbeatReply> => {
        if (beat.region !== keys.region) throw new StateError('ERR_STATE_COMMAND', `relay ${beat.id} of region ${beat.region} cannot join the fleet of ${keys.region}`)
        const drain = (await runScript(conn.command, 'fleet-heartbeat', [k.live, k.relays, k.drains], [beat.id, now() + ttlMs, JSON.stringify(beat)])) as string | null
        return { drainRequest: drain ? parseDrainRequest(drain) : null }
      }),
    deregister: (relayId) => guarded(guard, async () => (await runScript(conn.command, 'fleet-remove', [k.live, k.relays], [relayId])) === 1),
    liveRelays: () =>
      timedFleetRead(keys.region, () => guarded(guard, async () => {
        const flat = (await runScript(conn.command, 'fleet-live', [k.live, k.relays, k.drains], [now()])) as string[]
        const out: LiveRelay[] = []
        for (let i = 0; i + 3 < flat.length; i += 4) {
          const relay: LiveRelay = { ...(JSON.parse(flat[i + 2]!) as RelayHeartbeat), expiresAt: Number(flat[i + 1]) }
          out.push(flat[i + 3] ? drainedView(relay, parseDrainRequest(flat[i + 3]!)) : relay)
        }
        return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      })),
    requestDrain: (relayId, request) =>
      guarded(guard, async (): Promise<DrainRequest> => {
        // HSETNX keeps the first request (and its time); one MULTI on one key, so one slot.
        const res = await conn.command.multi().hsetnx(k.drains, relayId, JSON.stringify(request)).hget(k.drains, relayId).exec()
        const failed = res?.find(([err]) => err)
        if (!res || failed) throw failed?.[0] ?? new StateError('ERR_STATE_COMMAND', 'drain request transaction aborted')
        return parseDrainRequest(res[1]![1] as string)
      }),
    cancelDrain: (relayId) => guarded(guard, async () => (await conn.command.hdel(k.drains, relayId)) === 1),
    drainRequests: () =>
      guarded(guard, async (): Promise<RelayDrainRequest[]> => {
        const all = await conn.command.hgetall(k.drains)
        return Object.keys(all).sort().map((relayId) => ({ relayId, ...parseDrainRequest(all[relayId]!) }))
      }),
  }
}
