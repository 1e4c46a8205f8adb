/**
 * Region-wide pub/sub for signaling fan-out between the control-plane nodes of one
 * region. Payloads are JSON; channel names come from the key builder, so a message
 * published in one region is never seen by another region's nodes.
 */
import type { KeyBuilder } from './keys.js'
import type { PubSub, Subscription } from './pubsub.js'

export interface Bus {
  readonly region: string
  publish(name: string, payload: unknown): Promise<void>
  /** Undecodable messages are reported to `onError` (never silently dropped). */
  subscribe(name: string, handler: (payload: unknown) => void, onError?: (err: Error) => void): Promise<Subscription>
}

export function createBus(keys: KeyBuilder, pubsub: PubSub): Bus {
  const channels = keys.channels()
  return {
    region: keys.region,
    publish: (name, payload) => pubsub.publish(channels.bus(name), JSON.stringify(payload)),
    subscribe: (name, handler, onError) =>
      pubsub.subscribe(channels.bus(name), (raw) => {
        let payload: unknown
        try {
          payload = JSON.parse(raw)
        } catch (err) {
          onError?.(err as Error)
          if (!onError) throw err
          return
        }
        handler(payload)
      }),
  }
}
