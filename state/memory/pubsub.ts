/** In-process pub/sub: delivery is asynchronous (next microtask), like a network hop. */
import { reportHandlerError } from '../handler-error.js'
import type { PubSub, Subscription } from '../pubsub.js'

export function createMemoryPubSub(onHandlerError: (err: unknown) => void = reportHandlerError): PubSub {
  const handlers = new Map<string, Set<(m: string) => void>>()
  let closed = false
  return {
    async publish(channel, message) {
      const set = handlers.get(channel)
      if (!set || closed) return
      const targets = [...set]
      queueMicrotask(() => {
        for (const h of targets) {
          try {
            h(message)
          } catch (err) {
            onHandlerError(err)
          }
        }
      })
    },
    async subscribe(channel, handler): Promise<Subscription> {
      let set = handlers.get(channel)
      if (!set) handlers.set(channel, (set = new Set()))
      set.add(handler)
      return {
        async unsubscribe() {
          handlers.get(channel)?.delete(handler)
        },
      }
    },
    onResubscribed: () => () => {},
    async close() {
      closed = true
      handlers.clear()
    },
  }
}
