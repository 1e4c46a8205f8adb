/**
 * One region's Redis connections, opened from config/schema.ts `RedisConfig`:
 * `{url}` standalone, `{sentinel}` and `{cluster}` through the same ioredis options.
 *
 * Choices, and why:
 * - Two connections: `command` for everything else and `subscriber` for pub/sub (a
 *   RESP2 connection in subscribe mode cannot run other commands).
 * - `enableOfflineQueue: false` and `maxRetriesPerRequest: 0` on the command
 *   connection: while Redis is unreachable a call rejects at once instead of queueing
 *   until reconnect, and an in-flight call fails when the socket drops. Callers get
 *   StateUnavailableError in milliseconds and fail closed (a relay must not hold a
 *   TURN transaction while Redis is gone; the client retransmits).
 * - `commandTimeout`: a Redis that accepts the socket but hangs still fails fast.
 * - Reconnect forever with capped exponential backoff plus jitter (50 ms doubling to
 *   2 s): recovery needs no restart, and a fleet of relays does not reconnect in lockstep.
 * - The subscriber keeps ioredis' `autoResubscribe`; after it is back we PING through it
 *   (so the re-SUBSCRIBE went first) and then tell listeners that messages may have
 *   been missed, so caches built on invalidations are dropped.
 * - Health is an observable per connection (connecting / connected / reconnecting /
 *   down, last error, attempts); `down` after `downAfterAttempts` failed reconnects.
 */
import { Redis, Cluster, type RedisOptions, type ClusterOptions } from 'ioredis'
import type { RedisSettings } from '../config/schema.js'
import { StateError } from './errors.js'
import { ConnectionHealth, type HealthState } from './health.js'
import { defineScripts, type RedisClient } from './scripts.js'

type SecretRef = string | { env: string }

export interface RedisConnectionOptions {
  readonly region: string
  readonly connectTimeoutMs?: number
  readonly commandTimeoutMs?: number
  readonly retryBaseMs?: number
  readonly retryMaxMs?: number
  readonly downAfterAttempts?: number
  readonly now?: () => number
  /** Resolves `{ env: NAME }` secrets; defaults to process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>
}

export interface RedisConnection {
  readonly region: string
  readonly kind: 'standalone' | 'sentinel' | 'cluster'
  readonly command: RedisClient
  readonly subscriber: RedisClient
  readonly health: ConnectionHealth
  readonly subscriberHealth: ConnectionHealth
  /** Fires after the subscriber came back from an outage (subscriptions restored). */
  onResubscribed(listener: () => void): () => void
  close(): Promise<void>
}

export function backoff(times: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, times - 1))
  return Math.round(exp / 2 + (random() * exp) / 2)
}

function secret(ref: SecretRef | undefined, env: Readonly<Record<string, string | undefined>>): string | undefined {
  if (ref === undefined) return undefined
  if (typeof ref === 'string') return ref
  const v = env[ref.env]
  if (v === undefined) throw new StateError('ERR_STATE_SECRET_MISSING', `environment variable ${ref.env} (a Redis password) is not set`)
  return v
}

function hostPort(s: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(s) ?? /^([^:]+):(\d+)$/.exec(s)
  if (!m) throw new TypeError(`not host:port: ${s}`)
  return { host: m[1]!, port: Number(m[2]) }
}

function watch(client: RedisClient, health: ConnectionHealth, downAfter: number): void {
  let attempts = 0
  client.on('ready', () => {
    attempts = 0
    health.set('connected', { attempts: 0 })
  })
  client.on('error', (error: unknown) => health.set(health.state === 'connected' ? 'reconnecting' : health.state, { error }))
  client.on('close', () => {
    if (health.state === 'connected') health.set('reconnecting')
  })
  client.on('reconnecting', () => {
    attempts += 1
    const state: HealthState = attempts >= downAfter ? 'down' : 'reconnecting'
    health.set(state, { attempts })
  })
  client.on('end', () => health.set('down'))
}

export function openRedisConnection(settings: Exclude<RedisSettings, { memory: true }>, options: RedisConnectionOptions): RedisConnection {
  const { region } = options
  const env = options.env ?? process.env
  const connectTimeout = options.connectTimeoutMs ?? 2000
  const commandTimeout = options.commandTimeoutMs ?? 2000
  const base = options.retryBaseMs ?? 50
  const max = options.retryMaxMs ?? 2000
  const downAfter = options.downAfterAttempts ?? 3
  const retryStrategy = (times: number) => backoff(times, base, max)
  const common: RedisOptions = {
    connectTimeout,
    commandTimeout,
    retryStrategy,
    enableReadyCheck: true,
    connectionName: `sovereign:${region}`,
  }
  // Auto-pipelining: commands issued in the same tick go out in one write (one syscall, one
  // read by Redis) instead of one each. A join's audit entries, event and relay read are
  // sent together; on a loopback/VM network the per-write cost dominated a join's CPU.
  const commandOpts: RedisOptions = { ...common, enableOfflineQueue: false, maxRetriesPerRequest: 0, enableAutoPipelining: true }
  // The subscriber has no commandTimeout: a subscription is a long-lived wait by design.
  const subscriberOpts: RedisOptions = { ...common, commandTimeout: undefined, enableOfflineQueue: false, maxRetriesPerRequest: 0, autoResubscribe: true }

  let kind: RedisConnection['kind']
  let command: RedisClient
  let subscriber: RedisClient
  if ('url' in settings) {
    kind = 'standalone'
    const url = (settings as { url: string }).url
    command = new Redis(url, commandOpts)
    subscriber = new Redis(url, subscriberOpts)
  } else if ('sentinel' in settings) {
    kind = 'sentinel'
    const password = secret(settings.sentinel.password, env)
    const sentinel: RedisOptions = {
      sentinels: settings.sentinel.nodes.map(hostPort),
      name: settings.sentinel.name,
      ...(password === undefined ? {} : { password, sentinelPassword: password }),
      sentinelRetryStrategy: retryStrategy,
    }
    command = new Redis({ ...commandOpts, ...sentinel })
    subscriber = new Redis({ ...subscriberOpts, ...sentinel })
  } else {
    kind = 'cluster'
    const password = secret(settings.cluster.password, env)
    const nodes = settings.cluster.nodes.map(hostPort)
    const clusterOpts = (redis: RedisOptions): ClusterOptions => {
      const { retryStrategy: _r, enableOfflineQueue: _q, ...redisOptions } = redis
      return {
        clusterRetryStrategy: retryStrategy,
        enableOfflineQueue: false,
        enableReadyCheck: true,
        enableAutoPipelining: redis.enableAutoPipelining ?? false,
        retryDelayOnFailover: 100,
        retryDelayOnClusterDown: 100,
        redisOptions: { ...redisOptions, ...(password === undefined ? {} : { password }) },
      }
    }
    command = new Cluster(nodes, clusterOpts(commandOpts))
    subscriber = new Cluster(nodes, clusterOpts(subscriberOpts))
  }
  defineScripts(command)

  const now = options.now ?? Date.now
  const health = new ConnectionHealth(`redis:${region}`, now)
  const subscriberHealth = new ConnectionHealth(`redis:${region}:subscriber`, now)
  watch(command, health, downAfter)
  watch(subscriber, subscriberHealth, downAfter)

  const resubscribed = new Set<() => void>()
  let everReady = false
  subscriber.on('ready', () => {
    if (!everReady) {
      everReady = true
      return
    }
    // ioredis re-sends SUBSCRIBE synchronously in its ready handler; a PING queued
    // after it answers once the subscriptions are active again.
    setImmediate(() => {
      subscriber.ping().then(
        () => { for (const l of resubscribed) l() },
        (error: unknown) => subscriberHealth.set(subscriberHealth.state, { error }),
      )
    })
  })

  let closing: Promise<void> | undefined
  return {
    region,
    kind,
    command,
    subscriber,
    health,
    subscriberHealth,
    onResubscribed(listener) {
      resubscribed.add(listener)
      return () => resubscribed.delete(listener)
    },
    close() {
      closing ??= (async () => {
        await Promise.allSettled([command.quit(), subscriber.quit()])
        command.disconnect()
        subscriber.disconnect()
        health.set('closed')
        subscriberHealth.set('closed')
      })()
      return closing
    },
  }
}
