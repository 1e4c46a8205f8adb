/**
 * Connection health as an observable: relays and control planes show it in /healthz
 * and metrics, and fail closed while it is not `connected`.
 *
 *   connecting -> connected -> reconnecting -> (after a few failed attempts) down
 *                     ^-------------------------------------------------'
 *   closed: the owner closed it; terminal.
 */
import { EventEmitter } from 'node:events'

export type HealthState = 'connecting' | 'connected' | 'reconnecting' | 'down' | 'closed'

export interface HealthSnapshot {
  readonly state: HealthState
  /** When the current state began (ms). */
  readonly since: number
  readonly lastError?: string
  /** Failed reconnect attempts in the current outage. */
  readonly attempts: number
}

export class ConnectionHealth extends EventEmitter<{ change: [HealthSnapshot, HealthSnapshot] }> {
  readonly name: string
  #now: () => number
  #snapshot: HealthSnapshot

  constructor(name: string, now: () => number = Date.now, initial: HealthState = 'connecting') {
    super()
    this.name = name
    this.#now = now
    this.#snapshot = { state: initial, since: now(), attempts: 0 }
  }

  get snapshot(): HealthSnapshot {
    return this.#snapshot
  }

  get state(): HealthState {
    return this.#snapshot.state
  }

  /** Record a transition; `lastError` is kept until a later error replaces it. */
  set(state: HealthState, detail: { error?: unknown; attempts?: number } = {}): void {
    const prev = this.#snapshot
    if (prev.state === 'closed') return
    const lastError = detail.error === undefined ? prev.lastError : detail.error instanceof Error ? detail.error.message : String(detail.error)
    const attempts = detail.attempts ?? (state === 'connected' ? 0 : prev.attempts)
    if (prev.state === state && prev.lastError === lastError && prev.attempts === attempts) return
    const next: HealthSnapshot = {
      state,
      since: prev.state === state ? prev.since : this.#now(),
      attempts,
      ...(lastError === undefined ? {} : { lastError }),
    }
    this.#snapshot = next
    this.emit('change', next, prev)
  }

  /** Resolves when the state is (or becomes) `state`. */
  when(state: HealthState): Promise<void> {
    if (this.#snapshot.state === state) return Promise.resolve()
    return new Promise((resolve) => {
      const on = (s: HealthSnapshot) => {
        if (s.state !== state) return
        this.off('change', on)
        resolve()
      }
      this.on('change', on)
    })
  }
}
