/**
 * A small isomorphic event emitter with a typed event map, in the style of mediasoup's
 * (`{ close: [CloseInfo]; signal: [SignalFromMessage] }`). No node:events, so the client
 * runs in browsers unchanged. A throwing listener is not swallowed: it propagates to the
 * emitter's caller, like Node's EventEmitter.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Listener = (...args: any[]) => void

export class TypedEmitter<Events extends { [K in keyof Events]: unknown[] }> {
  readonly #listeners = new Map<keyof Events, Listener[]>()

  on<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): this {
    this.#listeners.set(event, [...(this.#listeners.get(event) ?? []), listener])
    return this
  }

  once<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): this {
    const wrapper = (...args: Events[K]) => {
      this.off(event, wrapper)
      listener(...args)
    }
    return this.on(event, wrapper)
  }

  off<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): this {
    const list = this.#listeners.get(event)
    if (list) this.#listeners.set(event, list.filter((l) => l !== listener))
    return this
  }

  listenerCount<K extends keyof Events>(event: K): number {
    return this.#listeners.get(event)?.length ?? 0
  }

  /** Calls the listeners registered at the time of the call, in order. */
  protected emit<K extends keyof Events>(event: K, ...args: Events[K]): boolean {
    const list = this.#listeners.get(event)
    if (!list || list.length === 0) return false
    for (const listener of [...list]) listener(...args)
    return true
  }
}
