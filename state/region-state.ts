/**
 * Everything one region shares, opened from its `RedisConfig`: the stores of each
 * concern over one connection pair (or over the in-process memory backend), the
 * connection health, and one `close()`.
 *
 *   const state = openRegionState({ region: 'eu-central', redis: { url: 'redis://127.0.0.1:6379' } })
 *   await state.fleet.heartbeat(beat)
 *   const policy = await state.policy.snapshot(meetingId)
 */
import type { RedisSettings } from '../config/schema.js'
import type { AuditStore } from './audit.js'
import type { DecisionFeed } from './decision-feed.js'
import type { MeetingIndex, MeetingIndexOptions } from './meeting-index.js'
import { createRedisDecisionFeed } from './redis/decision-feed.js'
import { createRedisMeetingIndex } from './redis/meeting-index.js'
import { createMemoryDecisionFeed } from './memory/decision-feed.js'
import { createMemoryMeetingIndex } from './memory/meeting-index.js'
import type { MediaKeyStore } from './media-keys.js'
import { createRedisMediaKeyStore } from './redis/media-key-store.js'
import { createMemoryMediaKeyStore } from './memory/media-key-store.js'
import type { PasscodeAttemptStore } from './passcode-attempts.js'
import { createRedisPasscodeAttemptStore } from './redis/passcode-attempt-store.js'
import { createMemoryPasscodeAttemptStore } from './memory/passcode-attempt-store.js'
import { createBus, type Bus } from './bus.js'
import type { FleetStore } from './fleet.js'
import { ConnectionHealth } from './health.js'
import { KeyBuilder } from './keys.js'
import type { MeetingStore } from './meetings.js'
import type { PolicySource } from './policy.js'
import type { PubSub, Subscription } from './pubsub.js'
import { openRedisConnection, type RedisConnection, type RedisConnectionOptions } from './redis-connection.js'
import type { RevocationStore } from './revocation.js'
import { StateEpochWatch, type StateLoss } from './state-epoch.js'
import { StateUnavailableError } from './errors.js'
import { guarded, type Guard } from './redis/guard.js'
import { createRedisPubSub } from './redis/pubsub.js'
import { createRedisFleetStore } from './redis/fleet-store.js'
import { createRedisMeetingStore } from './redis/meeting-store.js'
import { createRedisPolicySource } from './redis/policy-source.js'
import { createRedisRevocationStore } from './redis/revocation-store.js'
import { createRedisAuditStore } from './redis/audit-store.js'
import { MemoryRegion, warnSingleProcess } from './memory/backend.js'
import { createMemoryFleetStore } from './memory/fleet-store.js'
import { createMemoryMeetingStore } from './memory/meeting-store.js'
import { createMemoryPolicySource } from './memory/policy-source.js'
import { createMemoryRevocationStore } from './memory/revocation-store.js'
import { createMemoryAuditStore } from './memory/audit-store.js'
import type { PresenceStore } from './presence.js'
import { createRedisPresenceStore } from './redis/presence-store.js'
import { createMemoryPresenceStore } from './memory/presence-store.js'

export interface RegionState {
  readonly region: string
  readonly kind: 'redis' | 'memory'
  readonly keys: KeyBuilder
  readonly fleet: FleetStore
  readonly meetings: MeetingStore
  readonly policy: PolicySource
  readonly revocations: RevocationStore
  readonly audit: AuditStore
  /** The region's meetings (ids), for operators: running ones and recently ended ones. */
  readonly meetingIndex: MeetingIndex
  /** Every residency decision of the region's meetings, newest kept (the audit stores append to it). */
  readonly decisions: DecisionFeed
  readonly mediaKeys: MediaKeyStore
  /** Participants' presence leases, renewed by the node holding each socket. */
  readonly presence: PresenceStore
  /** Wrong-passcode counters per identity and per meeting (issue 9, item 4). */
  readonly passcodeAttempts: PasscodeAttemptStore
  readonly bus: Bus
  /** Pub/sub under bus, revocations and invalidations (policy cache uses it directly). */
  readonly pubsub: PubSub
  /** Command connection health (memory: always connected). */
  readonly health: ConnectionHealth
  readonly subscriberHealth: ConnectionHealth
  /**
   * Redis came back without the region's data (state-epoch.ts): fires once per loss, after
   * a read that proved it, so the listener can act on the state at once. Memory: never.
   */
  onStateLost(listener: (loss: StateLoss) => void): () => void
  /** Reads the state epoch now (as the reconnect and backstop checks do); the loss if this read found one. */
  checkStateEpoch(): Promise<StateLoss | undefined>
  /** Only for redis: the raw connection (tests, diagnostics). */
  readonly connection?: RedisConnection
  /**
   * Resolves once both connections are up (start-up: calls made before fail fast like
   * any other outage). Rejects with StateUnavailableError after `timeoutMs`.
   */
  ready(timeoutMs?: number): Promise<void>
  /** Idempotent; store calls reject with StateClosedError afterwards. */
  close(): Promise<void>
}

function whenReady(region: string, healths: ConnectionHealth[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      const last = healths.map((h) => h.snapshot.lastError).find((e) => e !== undefined)
      reject(new StateUnavailableError(region, `not connected within ${timeoutMs} ms${last ? `: ${last}` : ''}`))
    }, timeoutMs)
    Promise.all(healths.map((h) => h.when('connected'))).then(() => {
      clearTimeout(timer)
      resolve()
    }, reject)
  })
}

export interface RegionStateOptions {
  readonly region: string
  readonly redis: RedisSettings
  /** Key prefix (tests pass a unique one). */
  readonly prefix?: string
  readonly now?: () => number
  readonly auditMaxLength?: number
  /** Bound of the region's decision feed (default DEFAULT_FEED_MAX_LENGTH). */
  readonly feedMaxLength?: number
  readonly meetingIndex?: MeetingIndexOptions
  readonly connection?: Omit<RedisConnectionOptions, 'region' | 'now'>
  /** Backstop period of the state-epoch check (it also runs on every reconnect); default 10 s, 0: off. */
  readonly stateEpochCheckMs?: number
  /** Share one memory backend per region across RegionStates of this process. */
  readonly memoryBackends?: Map<string, MemoryRegion>
  readonly warn?: (message: string) => void
  readonly onHandlerError?: (err: unknown) => void
}

/** Subscriptions made through this RegionState end when it closes, even on a shared backend. */
function tracked(inner: PubSub): PubSub & { dispose(): Promise<void> } {
  const live = new Set<Subscription>()
  return {
    publish: (c, m) => inner.publish(c, m),
    async subscribe(channel, handler) {
      const sub = await inner.subscribe(channel, handler)
      const wrapped: Subscription = {
        async unsubscribe() {
          live.delete(wrapped)
          await sub.unsubscribe()
        },
      }
      live.add(wrapped)
      return wrapped
    },
    onResubscribed: (l) => inner.onResubscribed(l),
    close: () => inner.close(),
    async dispose() {
      await Promise.allSettled([...live].map((s) => s.unsubscribe()))
    },
  }
}

/** Process-wide memory backends: "single process" means exactly this map. */
export const processMemoryBackends = new Map<string, MemoryRegion>()

export function openRegionState(options: RegionStateOptions): RegionState {
  const { region } = options
  const now = options.now ?? Date.now
  const keys = new KeyBuilder(region, options.prefix)
  const guard: Guard = { region, closed: false }

  if ('memory' in options.redis) {
    const backends = options.memoryBackends ?? processMemoryBackends
    const backendKey = `${keys.prefix}:${region}`
    let mem = backends.get(backendKey)
    if (!mem) {
      warnSingleProcess(region, options.warn)
      backends.set(backendKey, (mem = new MemoryRegion(region, now)))
    }
    const pubsub = tracked(mem.pubsub)
    const health = new ConnectionHealth(`memory:${region}`, now, 'connected')
    const subscriberHealth = new ConnectionHealth(`memory:${region}:subscriber`, now, 'connected')
    return {
      region,
      kind: 'memory',
      keys,
      fleet: createMemoryFleetStore(mem, guard),
      meetings: createMemoryMeetingStore(mem, keys, guard),
      policy: createMemoryPolicySource(mem, keys, guard),
      revocations: createMemoryRevocationStore(mem, keys, pubsub, guard),
      audit: createMemoryAuditStore(mem, keys, guard, options.auditMaxLength, options.feedMaxLength),
      meetingIndex: createMemoryMeetingIndex(mem, keys, guard, options.meetingIndex),
      decisions: createMemoryDecisionFeed(mem, guard),
      mediaKeys: createMemoryMediaKeyStore(mem, keys, guard),
      presence: createMemoryPresenceStore(mem, guard),
      passcodeAttempts: createMemoryPasscodeAttemptStore(mem, keys, guard),
      bus: createBus(keys, pubsub),
      pubsub,
      health,
      subscriberHealth,
      // One process owns the memory backend: its data cannot vanish behind its back.
      onStateLost: () => () => {},
      checkStateEpoch: async () => undefined,
      ready: async () => {},
      async close() {
        if (guard.closed) return
        guard.closed = true
        await pubsub.dispose()
        health.set('closed')
        subscriberHealth.set('closed')
      },
    }
  }

  const conn = openRedisConnection(options.redis, { ...options.connection, region, now })
  const pubsub = tracked(createRedisPubSub(conn, guard, options.onHandlerError ? { onHandlerError: options.onHandlerError } : {}))
  const epoch = new StateEpochWatch({
    region,
    command: conn.command,
    key: keys.stateEpoch(),
    health: conn.health,
    now,
    ...(options.stateEpochCheckMs !== undefined ? { checkIntervalMs: options.stateEpochCheckMs } : {}),
  })
  let closing: Promise<void> | undefined
  return {
    region,
    kind: 'redis',
    keys,
    fleet: createRedisFleetStore(conn, keys, guard, now),
    meetings: createRedisMeetingStore(conn, keys, guard, now),
    policy: createRedisPolicySource(conn, keys, guard, now),
    revocations: createRedisRevocationStore(conn, keys, pubsub, guard, now),
    audit: createRedisAuditStore(conn, keys, guard, options.auditMaxLength, options.feedMaxLength),
    meetingIndex: createRedisMeetingIndex(conn, keys, guard, now, options.meetingIndex),
    decisions: createRedisDecisionFeed(conn, keys, guard),
    mediaKeys: createRedisMediaKeyStore(conn, keys, guard, now),
    presence: createRedisPresenceStore(conn, keys, guard, now),
    passcodeAttempts: createRedisPasscodeAttemptStore(conn, keys, guard, now),
    bus: createBus(keys, pubsub),
    pubsub,
    health: conn.health,
    subscriberHealth: conn.subscriberHealth,
    connection: conn,
    onStateLost(listener) {
      epoch.on('lost', listener)
      return () => epoch.off('lost', listener)
    },
    checkStateEpoch: () => guarded(guard, () => epoch.check()),
    ready: (timeoutMs = 5000) => whenReady(region, [conn.health, conn.subscriberHealth], timeoutMs),
    close() {
      closing ??= (async () => {
        epoch.close()
        await pubsub.dispose()
        guard.closed = true
        await pubsub.close()
        await conn.close()
      })()
      return closing
    },
  }
}
