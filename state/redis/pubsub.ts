/**
 * Pub/sub over the region's subscriber connection: one SUBSCRIBE per channel however
 * many handlers listen; ioredis re-subscribes after a reconnect. SUBSCRIBE while Redis
 * is down rejects (StateUnavailableError) rather than waiting; retry when healthy.
 */
import { StateUnavailableError } from '../errors.js'
import { reportHandlerError } from '../handler-error.js'
import type { PubSub, Subscription } from '../pubsub.js'
import type { RedisConnection } from '../redis-connection.js'
import { guarded, type Guard } from './guard.js'

export interface RedisPubSubOptions {
  /** Where a throwing handler's error goes; by default a process warning (see handler-error.ts). */
  readonly onHandlerError?: (err: unknown) => void
}

export function createRedisPubSub(conn: RedisConnection, guard: Guard, options: RedisPubSubOptions = {}): PubSub {
  const handlers = new Map<string, Set<(m: string) => void>>()
  const report = options.onHandlerError ?? reportHandlerError
  const onMessage = (channel: string, message: string) => {
    for (const h of handlers.get(channel) ?? []) {
      try {
        h(message)
      } catch (err) {
        report(err)
      }
    }
  }
  conn.subscriber.on('message', onMessage)
  // Channels whose last handler left while Redis was unreachable: the UNSUBSCRIBE could not
  // be sent, and ioredis re-subscribes every channel it knew after a reconnect. They are
  // unsubscribed then (messages on them meanwhile reach no handler).
  const orphaned = new Set<string>()
  const stopWatching = conn.onResubscribed(() => {
    for (const channel of orphaned) {
      if (handlers.has(channel)) { orphaned.delete(channel); continue }
      conn.subscriber.unsubscribe(channel).then(() => orphaned.delete(channel), () => { /* still down: the next resubscribe tries again */ })
    }
  })

  return {
    publish: (channel, message) => guarded(guard, async () => { await conn.command.publish(channel, message) }),
    async subscribe(channel, handler): Promise<Subscription> {
      let set = handlers.get(channel)
      if (!set) {
        set = new Set()
        handlers.set(channel, set)
        try {
          await guarded(guard, () => conn.subscriber.subscribe(channel))
        } catch (err) {
          handlers.delete(channel)
          throw err
        }
      }
      set.add(handler)
      let done = false
      return {
        async unsubscribe() {
          if (done) return
          done = true
          const s = handlers.get(channel)
          if (!s) return
          s.delete(handler)
          if (s.size === 0) {
            handlers.delete(channel)
            if (guard.closed) return
            try {
              await guarded(guard, () => conn.subscriber.unsubscribe(channel))
            } catch (err) {
              // Leaving a channel needs no answer from a Redis that is down: no handler hears
              // it any more, and the channel is unsubscribed after the reconnect.
              if (!(err instanceof StateUnavailableError)) throw err
              orphaned.add(channel)
            }
          }
        },
      }
    },
    onResubscribed: (listener) => conn.onResubscribed(listener),
    async close() {
      stopWatching()
      orphaned.clear()
      conn.subscriber.off('message', onMessage)
      handlers.clear()
    },
  }
}
