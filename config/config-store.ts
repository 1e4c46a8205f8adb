/**
 * Holds the running network config and replaces it only with a config that passed every
 * check. `reload()` reads the file once, validates it completely and then swaps one
 * reference, so readers see either the old config or the new one, never a mix. A file
 * that fails is refused with its errors and the running config stays.
 *
 * Events (typed): 'change' with the new and previous config, 'rejected' with the
 * ConfigError of a refused file, 'error' for a failure that is not a config problem
 * (a bug), which is not swallowed.
 *
 * Write new files atomically (write a temp file, rename over) so a reload never reads a
 * half-written file; if it does, the file is refused and the next SIGHUP picks it up.
 */
import { EventEmitter } from 'node:events'

import { changedSections } from './config-diff.js'
import { ConfigError } from './config-error.js'
import { CodedError } from '../geo/coded-error.js'
import { parseConfig, readConfigText, type LoadOptions } from './load-config.js'
import type { NetworkConfig } from './network-config.js'

export interface ConfigChange {
  readonly config: NetworkConfig
  readonly previous: NetworkConfig
  /** What changed, e.g. ['regions.eu-central', 'tenants.acme', 'geo'] (see config-diff.ts). */
  readonly changed: readonly string[]
}

export interface ConfigStoreEvents {
  change: [change: ConfigChange]
  rejected: [error: ConfigError]
  error: [error: Error]
}

export type ReloadOutcome =
  | { readonly ok: true; readonly changed: boolean; readonly config: NetworkConfig }
  | { readonly ok: false; readonly error: ConfigError; readonly config: NetworkConfig }

/** The part of `process` SIGHUP wiring needs, so tests can pass their own emitter. */
export interface SignalSource {
  on(signal: 'SIGHUP', listener: () => void): unknown
  off(signal: 'SIGHUP', listener: () => void): unknown
}

/** The store's own failures (the file's problems are ConfigError). */
export class ConfigStoreError extends CodedError<'CONFIG_STORE_CLOSED' | 'CONFIG_RELOAD_FAILED'> {}

export class ConfigStore extends EventEmitter<ConfigStoreEvents> {
  readonly path: string
  #options: LoadOptions
  #current: NetworkConfig
  #text: string
  #lastError: ConfigError | undefined
  #queue: Promise<unknown> = Promise.resolve()
  #unwatch: (() => void)[] = []
  #closed = false

  private constructor(path: string, options: LoadOptions, config: NetworkConfig, text: string) {
    super()
    this.path = path
    this.#options = options
    this.#current = config
    this.#text = text
  }

  /** Loads the file; throws its ConfigError if the first config is already invalid. */
  static async open(path: string, options: LoadOptions = {}): Promise<ConfigStore> {
    const text = await readConfigText(path)
    return new ConfigStore(path, options, parseConfig({ text, source: path }, options), text)
  }

  get current(): NetworkConfig {
    return this.#current
  }

  /** Errors of the last refused file, until a reload succeeds. */
  get lastError(): ConfigError | undefined {
    return this.#lastError
  }

  /**
   * Re-reads and validates the file. Reloads run one at a time in call order. A file
   * that means the same config (identical, or differing only in comments, layout or
   * key order) is a no-op: no 'change', the current object stays.
   */
  reload(): Promise<ReloadOutcome> {
    if (this.#closed) return Promise.reject(new ConfigStoreError('CONFIG_STORE_CLOSED', `the config store of ${this.path} is closed`))
    const run = this.#queue.then(() => this.#reloadNow())
    this.#queue = run.catch(() => undefined)
    return run
  }

  async #reloadNow(): Promise<ReloadOutcome> {
    let text: string
    let config: NetworkConfig
    try {
      text = await readConfigText(this.path)
      config = parseConfig({ text, source: this.path }, this.#options)
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error
      this.#lastError = error
      this.emit('rejected', error)
      return { ok: false, error, config: this.#current }
    }
    this.#lastError = undefined
    if (text === this.#text) return { ok: true, changed: false, config: this.#current }
    const previous = this.#current
    const changed = changedSections(previous, config)
    this.#text = text
    // A new text that means the same config (comments, key order) is not a change.
    if (changed.length === 0) return { ok: true, changed: false, config: previous }
    this.#current = config
    this.emit('change', { config, previous, changed })
    return { ok: true, changed: true, config }
  }

  /** Reload on SIGHUP. Returns a function that removes the handler. */
  watchSighup(source: SignalSource = process): () => void {
    const onSignal = (): void => {
      this.reload().catch((error: unknown) => this.emit('error', error instanceof Error ? error : new ConfigStoreError('CONFIG_RELOAD_FAILED', `reloading ${this.path} failed: ${String(error)}`, { cause: error })))
    }
    source.on('SIGHUP', onSignal)
    const unwatch = (): void => {
      source.off('SIGHUP', onSignal)
      this.#unwatch = this.#unwatch.filter((entry) => entry !== unwatch)
    }
    this.#unwatch.push(unwatch)
    return unwatch
  }

  /** Stops watching signals; idempotent. The last config stays readable. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    for (const unwatch of [...this.#unwatch]) unwatch()
  }
}
