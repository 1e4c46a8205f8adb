/**
 * Detects that a region's Redis lost its data: restarted without persistence, or failed
 * over to a replica that never had it. Such a Redis answers again as if nothing happened,
 * and every meeting is simply gone (404) while its participants stay connected and relays
 * keep relaying on cached policy. The tell is the region's state epoch
 * (`KeyBuilder.stateEpoch()`): a random value written once, when the region's Redis is
 * first used, and never expired. Each process remembers the epoch it saw first; when the
 * key is missing (the first process to look writes a new one) or differs, the state it
 * knew is gone, and `lost` fires once for that loss.
 *
 * The epoch is read whenever the command connection becomes `connected` (a restarted Redis
 * always drops the connection), retried with backoff while the connection is up but the
 * read fails (a connection can be `ready` before it is writable), and every
 * `checkIntervalMs` as a backstop (a FLUSHALL drops no connection).
 *
 * A Redis with `maxmemory-policy` allkeys-* may evict the epoch like any other key: that
 * is data loss too, and reported as such.
 */
import { randomBytes } from 'node:crypto'
import { EventEmitter } from 'node:events'

import type { ConnectionHealth, HealthSnapshot } from './health.js'
import { runScript, type RedisClient } from './scripts.js'

export interface StateLoss {
  readonly region: string
  /** The epoch this process knew. */
  readonly previous: string
  /** The epoch Redis holds now. */
  readonly current: string
  /** This process wrote `current` (it was the first to look after the loss). */
  readonly created: boolean
  readonly detectedAt: number
}

export interface StateEpochWatchOptions {
  readonly region: string
  readonly command: RedisClient
  /** `KeyBuilder.stateEpoch()`. */
  readonly key: string
  /** The command connection's health: a transition to `connected` triggers a check. */
  readonly health: ConnectionHealth
  /** Backstop check period; 0 turns it off. Default 10 s. */
  readonly checkIntervalMs?: number
  /** First retry delay after a failed check while connected (doubles, capped at 5 s). Default 100 ms. */
  readonly retryMs?: number
  readonly now?: () => number
  /** A failed check (it is retried); default: none. */
  readonly onError?: (err: unknown) => void
}

const MAX_RETRY_MS = 5000

export class StateEpochWatch extends EventEmitter<{ lost: [StateLoss] }> {
  readonly region: string
  readonly #o: StateEpochWatchOptions
  readonly #now: () => number
  #known: string | undefined
  #running: Promise<StateLoss | undefined> | undefined
  #retryTimer: NodeJS.Timeout | undefined
  #retryMs: number
  readonly #interval: NodeJS.Timeout | undefined
  readonly #onHealth: (next: HealthSnapshot, prev: HealthSnapshot) => void
  #closed = false

  constructor(options: StateEpochWatchOptions) {
    super()
    this.region = options.region
    this.#o = options
    this.#now = options.now ?? Date.now
    this.#retryMs = options.retryMs ?? 100
    this.#onHealth = (next, prev) => {
      if (next.state === 'connected' && prev.state !== 'connected') this.#checkWithRetry()
    }
    options.health.on('change', this.#onHealth)
    if (options.health.state === 'connected') this.#checkWithRetry()
    const every = options.checkIntervalMs ?? 10_000
    if (every > 0) {
      this.#interval = setInterval(() => this.#checkWithRetry(), every)
      this.#interval.unref()
    }
  }

  /** The epoch this process knows (undefined until the first successful check). */
  get epoch(): string | undefined {
    return this.#known
  }

  /**
   * Reads (or writes) the epoch now; resolves with the loss when this check found one.
   * Concurrent calls share one read. Rejects when Redis cannot be read.
   */
  check(): Promise<StateLoss | undefined> {
    this.#running ??= this.#read().finally(() => { this.#running = undefined })
    return this.#running
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#o.health.off('change', this.#onHealth)
    if (this.#interval) clearInterval(this.#interval)
    if (this.#retryTimer) clearTimeout(this.#retryTimer)
    this.removeAllListeners()
  }

  async #read(): Promise<StateLoss | undefined> {
    const candidate = randomBytes(12).toString('base64url')
    const reply = (await runScript(this.#o.command, 'state-epoch', [this.#o.key], [candidate])) as [string | Buffer, number]
    const current = String(reply[0])
    const previous = this.#known
    this.#known = current
    if (previous === undefined || previous === current || this.#closed) return undefined
    const loss: StateLoss = { region: this.region, previous, current, created: Number(reply[1]) === 1, detectedAt: this.#now() }
    this.emit('lost', loss)
    return loss
  }

  #checkWithRetry(): void {
    if (this.#closed || this.#retryTimer !== undefined) return
    this.check().then(
      () => { this.#retryMs = this.#o.retryMs ?? 100 },
      (err: unknown) => {
        this.#o.onError?.(err)
        // Only while connected: the next transition to `connected` checks again anyway.
        if (this.#closed || this.#o.health.state !== 'connected') return
        this.#retryTimer = setTimeout(() => {
          this.#retryTimer = undefined
          this.#checkWithRetry()
        }, this.#retryMs)
        this.#retryTimer.unref()
        this.#retryMs = Math.min(MAX_RETRY_MS, this.#retryMs * 2)
      },
    )
  }
}
