/**
 * The pub/sub transport under the bus, revocations and policy invalidations. The Redis
 * implementation multiplexes all handlers over one subscriber connection and
 * re-subscribes after a reconnect; the memory one delivers within the process.
 */
export interface Subscription {
  /** Idempotent. */
  unsubscribe(): Promise<void>
}

export interface PubSub {
  publish(channel: string, message: string): Promise<void>
  subscribe(channel: string, handler: (message: string) => void): Promise<Subscription>
  /**
   * Called after the subscriber connection came back from an outage: messages may have
   * been missed, so caches built on them must be dropped.
   */
  onResubscribed(listener: () => void): () => void
  close(): Promise<void>
}
