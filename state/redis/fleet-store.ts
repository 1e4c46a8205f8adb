/**
 * The fleet in Redis: a sorted set of relay ids scored by heartbeat expiry plus a hash
 * of their last heartbeats, both under the region's `{<region>:fleet}` tag.
 *
 * Why not one key per relay with a Redis TTL: listing those needs SCAN (slow, and per
 * node in Cluster) or a side set cleaned up anyway. The sorted set gives the live set
 * in one script call (one round trip) and drops expired relays on the way, so a killed
 * relay leaves nothing behind. Expiry uses the writer's clock, injected, so tests move
 * time by hand; clock skew between relays only shifts a 3 s TTL by their NTP error.
 */
import type { FleetStore, LiveRelay, RelayHeartbeat } from '../fleet.js'
import { DEFAULT_RELAY_TTL_MS } from '../fleet.js'
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
      guarded(guard, async () => {
        if (beat.region !== keys.region) throw new StateError('ERR_STATE_COMMAND', `relay ${beat.id} of region ${beat.region} cannot join the fleet of ${keys.region}`)
        await runScript(conn.command, 'fleet-heartbeat', [k.live, k.relays], [beat.id, now() + ttlMs, JSON.stringify(beat)])
      }),
    deregister: (relayId) => guarded(guard, async () => (await runScript(conn.command, 'fleet-remove', [k.live, k.relays], [relayId])) === 1),
    liveRelays: () =>
      guarded(guard, async () => {
        const flat = (await runScript(conn.command, 'fleet-live', [k.live, k.relays], [now()])) as string[]
        const out: LiveRelay[] = []
        for (let i = 0; i + 2 < flat.length; i += 3) {
          out.push({ ...(JSON.parse(flat[i + 2]!) as RelayHeartbeat), expiresAt: Number(flat[i + 1]) })
        }
        return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      }),
  }
}
