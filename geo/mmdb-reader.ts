/**
 * A MaxMind DB (MMDB) reader that knows the record shapes of the databases an operator is
 * likely to configure, and can swap its file while lookups keep running.
 *
 * - GeoIP2 / GeoLite2 Country and City, DB-IP: `country.iso_code`, falling back to
 *   `registered_country.iso_code` (anycast and satellite ranges often have only the latter);
 *   City files add `location.latitude/longitude`.
 * - ip-location-db (the embedded CC0 default): `country_code`.
 * A code that is not an ISO 3166-1 alpha-2 country (`EU`, `AP`, `ZZ`, `XK`) is no country:
 * the record answers "unknown" and policy decides.
 *
 * The search tree is walked here over bytes the caller already parsed (geo/address/ip-address.ts), and
 * each distinct data record is decoded once (mmdb-lib) and then served from a map keyed by
 * its data pointer, so a lookup allocates nothing. Format: MaxMind DB File Format Spec 2.0,
 * "Binary Search Tree Section".
 *
 * Reload: `reload()` (or the file watcher, debounced) reads the new file completely,
 * validates it, and only then swaps one reference — a lookup sees either the old tree or
 * the new one, never a half-loaded file. A broken file is refused: the old database stays
 * and an 'error' event carries the reason.
 */
import { EventEmitter } from 'node:events'
import { watch, type FSWatcher } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { basename, dirname } from 'node:path'
import { Reader, type Response } from 'mmdb-lib'

import { countryCentroid, isCountryCode } from './countries.js'
import { GeoError } from './errors.js'
import { UNKNOWN, type GeoResult } from './geo-result.js'
import { formatIp, parseHostIp, type IpFamily } from './address/ip-address.js'

/**
 * What the database says about one address, already in the shape of a lookup answer:
 * source 'database' with a country, or 'unknown' when the record names no country.
 * Shared and frozen: do not mutate.
 */
export type DatabaseRecord = GeoResult

export interface DatabaseInfo {
  readonly path: string
  readonly databaseType: string
  readonly buildEpoch: Date
  readonly ipVersion: number
  readonly nodeCount: number
  readonly recordSize: number
}

export interface GeoDatabaseEvents {
  reload: [info: DatabaseInfo]
  error: [error: GeoError]
}

export interface GeoDatabaseOptions {
  /** Re-read the file when it changes on disk. Default false. */
  watch?: boolean
  /** Quiet period after the last change event before reloading. Default 250 ms. */
  debounceMs?: number
}

export type ReloadResult = { ok: true; info: DatabaseInfo } | { ok: false; error: GeoError }

/** The embedded CC0 database (ip-location-db geo-whois-asn-country, IPv4 + IPv6). Works from source and from dist/. */
export function defaultDatabasePath(): string {
  return createRequire(import.meta.url).resolve('@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb')
}

const NO_COUNTRY: DatabaseRecord = UNKNOWN
const POINTER_CACHE_MAX = 200_000

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined
}

/** Reads one decoded record, whatever its shape. Exported for tests. */
export function recordFromResponse(rec: unknown): DatabaseRecord {
  if (rec === null || typeof rec !== 'object') return NO_COUNTRY
  const r = rec as Record<string, unknown>
  const isoOf = (k: string) => {
    const o = r[k]
    return o !== null && typeof o === 'object' ? str((o as Record<string, unknown>).iso_code) : undefined
  }
  const code = isoOf('country') ?? isoOf('registered_country') ?? str(r.country_code)
  if (!isCountryCode(code)) return NO_COUNTRY
  const loc = r.location
  if (loc !== null && typeof loc === 'object') {
    const { latitude, longitude } = loc as Record<string, unknown>
    if (typeof latitude === 'number' && typeof longitude === 'number' &&
      Math.abs(latitude) <= 90 && Math.abs(longitude) <= 180) {
      return Object.freeze({ country: code, source: 'database', location: Object.freeze({ lat: latitude, lon: longitude }) })
    }
  }
  const centroid = countryCentroid(code)
  return Object.freeze(centroid ? { country: code, source: 'database', location: centroid } : { country: code, source: 'database' })
}

/** One loaded file: immutable except for its decode cache. */
class Tree {
  readonly info: DatabaseInfo
  readonly #db: Buffer
  readonly #reader: Reader<Response>
  readonly #nodeCount: number
  readonly #nodeBytes: number
  readonly #recordSize: number
  readonly #ipv4Start: number
  readonly #ipv6: boolean
  readonly #searchTreeSize: number
  readonly #byPointer = new Map<number, DatabaseRecord>()
  readonly #onCorrupt: (error: GeoError) => void
  #probing = true

  constructor(path: string, db: Buffer, onCorrupt: (error: GeoError) => void) {
    this.#onCorrupt = onCorrupt
    let reader: Reader<Response>
    try {
      reader = new Reader<Response>(db)
    } catch (cause) {
      throw new GeoError('GEO_DATABASE_INVALID', `${path}: not a MaxMind DB file (${(cause as Error).message})`, { cause })
    }
    const m = reader.metadata
    if (![24, 28, 32].includes(m.recordSize) || !(m.nodeCount > 0) || m.searchTreeSize + 16 > db.length ||
      (m.ipVersion !== 4 && m.ipVersion !== 6)) {
      throw new GeoError('GEO_DATABASE_INVALID', `${path}: inconsistent MaxMind DB metadata`)
    }
    this.#db = db
    this.#reader = reader
    this.#nodeCount = m.nodeCount
    this.#recordSize = m.recordSize
    this.#nodeBytes = m.nodeByteSize
    this.#ipv6 = m.ipVersion === 6
    this.#searchTreeSize = m.searchTreeSize
    this.info = Object.freeze({
      path,
      databaseType: m.databaseType,
      buildEpoch: m.buildEpoch,
      ipVersion: m.ipVersion,
      nodeCount: m.nodeCount,
      recordSize: m.recordSize,
    })
    let node = 0
    if (this.#ipv6) {
      // IPv4 lives at ::/96 in an IPv6 tree: follow 96 left branches.
      for (let i = 0; i < 96 && node < this.#nodeCount; i++) node = this.#left(node * this.#nodeBytes)
    }
    this.#ipv4Start = node
    this.#probe()
  }

  /** Walks and decodes a few addresses so a corrupt tree or data section is refused before it is used. */
  #probe(): void {
    const b = new Uint8Array(16)
    const probes = ['1.1.1.1', '8.8.8.8', '193.0.0.1', '202.12.27.33', ...(this.#ipv6 ? ['2001:4860::1', '2a01:4f8::1'] : [])]
    try {
      for (const ip of probes) {
        const family = parseHostIp(ip, b) as IpFamily
        this.lookupBytes(family, b)
      }
    } catch (cause) {
      throw new GeoError('GEO_DATABASE_INVALID', `${this.info.path}: search tree or data section is corrupt (${(cause as Error).message})`, { cause })
    }
    this.#byPointer.clear()
    this.#probing = false
  }

  #left(offset: number): number {
    const d = this.#db
    switch (this.#recordSize) {
      case 24: return (d[offset]! << 16) | (d[offset + 1]! << 8) | d[offset + 2]!
      case 28: return (((d[offset + 3]! & 0xf0) << 20) | (d[offset]! << 16) | (d[offset + 1]! << 8) | d[offset + 2]!) >>> 0
      default: return d.readUInt32BE(offset)
    }
  }

  #right(offset: number): number {
    const d = this.#db
    switch (this.#recordSize) {
      case 24: return (d[offset + 3]! << 16) | (d[offset + 4]! << 8) | d[offset + 5]!
      case 28: return (((d[offset + 3]! & 0x0f) << 24) | (d[offset + 4]! << 16) | (d[offset + 5]! << 8) | d[offset + 6]!) >>> 0
      default: return d.readUInt32BE(offset + 4)
    }
  }

  lookupBytes(family: IpFamily, bytes: Uint8Array): DatabaseRecord | null {
    if (family === 6 && !this.#ipv6) return null
    const bits = family === 4 ? 32 : 128
    const nodeCount = this.#nodeCount
    const nodeBytes = this.#nodeBytes
    let node = family === 4 ? this.#ipv4Start : 0
    for (let depth = 0; depth < bits && node < nodeCount; depth++) {
      const offset = node * nodeBytes
      node = ((bytes[depth >> 3]! >> (7 - (depth & 7))) & 1) ? this.#right(offset) : this.#left(offset)
    }
    // node === nodeCount: no data; node < nodeCount after all bits: malformed tree
    if (node <= nodeCount) return null
    const cached = this.#byPointer.get(node)
    if (cached !== undefined) return cached
    return this.#decode(node, family, bytes)
  }

  /**
   * A record the probe did not reach can still be corrupt. A lookup must not throw into
   * the relay's packet path, so such a record answers "unknown" (which policy treats
   * fail-closed) and the corruption is reported through the database's 'error' event.
   */
  #decode(pointer: number, family: IpFamily, bytes: Uint8Array): DatabaseRecord {
    let record: DatabaseRecord
    try {
      if (pointer - this.#nodeCount + this.#searchTreeSize >= this.#db.length) throw new GeoError('GEO_DATABASE_INVALID', 'data pointer out of range')
      // mmdb-lib decodes the record; it walks the tree once more to find it, which only
      // happens the first time a data record is seen.
      record = recordFromResponse(this.#reader.get(formatIp(family, bytes)))
    } catch (cause) {
      if (this.#probing) throw cause
      this.#onCorrupt(new GeoError('GEO_DATABASE_INVALID', `${this.info.path}: corrupt record for ${formatIp(family, bytes)} (${(cause as Error).message})`, { cause }))
      record = UNKNOWN
    }
    if (this.#byPointer.size >= POINTER_CACHE_MAX) this.#byPointer.clear()
    this.#byPointer.set(pointer, record)
    return record
  }
}

/**
 * The geo database with hot reload. `lookupBytes` is the hot path (geo/lookup.ts calls
 * it); `lookup` parses text first.
 */
export class GeoDatabase extends EventEmitter<GeoDatabaseEvents> {
  #tree: Tree
  #watcher: FSWatcher | undefined
  #debounce: NodeJS.Timeout | undefined
  #reloading: Promise<ReloadResult> | undefined
  #reloadAgain = false
  #closed = false
  readonly #debounceMs: number
  readonly #scratch = new Uint8Array(16)
  readonly path: string

  private constructor(path: string, tree: Tree, options: GeoDatabaseOptions) {
    super()
    this.path = path
    this.#tree = tree
    this.#debounceMs = options.debounceMs ?? 250
    if (options.watch) this.#watch()
  }

  /** Opens and validates a file (default: the embedded database). Rejects with GeoError GEO_DATABASE_INVALID. */
  static async open(path: string = defaultDatabasePath(), options: GeoDatabaseOptions = {}): Promise<GeoDatabase> {
    const db: GeoDatabase = new GeoDatabase(path, await loadTree(path, (error) => db.#report(error)), options)
    return db
  }

  get info(): DatabaseInfo {
    return this.#tree.info
  }

  lookupBytes(family: IpFamily, bytes: Uint8Array): DatabaseRecord | null {
    return this.#tree.lookupBytes(family, bytes)
  }

  /** Null when the text is not an address or the database has no record for it. */
  lookup(ip: string): DatabaseRecord | null {
    const family = parseHostIp(ip, this.#scratch)
    return family === 0 ? null : this.#tree.lookupBytes(family, this.#scratch)
  }

  /**
   * Re-reads the file. On success swaps it in and emits 'reload'; on failure keeps the
   * current database, emits 'error' (when someone listens) and says why in the result.
   * Concurrent calls share one read; a call during a read schedules one more.
   */
  reload(): Promise<ReloadResult> {
    if (this.#closed) return Promise.resolve(closedResult())
    if (this.#reloading) {
      this.#reloadAgain = true
      return this.#reloading
    }
    const run = async (): Promise<ReloadResult> => {
      let result: ReloadResult
      do {
        this.#reloadAgain = false
        let tree: Tree
        try {
          tree = await loadTree(this.path, (error) => this.#report(error))
        } catch (err) {
          const error = err instanceof GeoError ? err : new GeoError('GEO_DATABASE_INVALID', String(err), { cause: err })
          result = { ok: false, error }
          this.#report(new GeoError(error.code, `reload refused, keeping the previous file: ${error.message}`, { cause: error }))
          continue
        }
        if (this.#closed) return closedResult()
        this.#tree = tree
        result = { ok: true, info: tree.info }
        this.emit('reload', tree.info)
      } while (this.#reloadAgain && !this.#closed)
      return result
    }
    this.#reloading = run().finally(() => {
      this.#reloading = undefined
    })
    return this.#reloading
  }

  /** Stops watching and refuses further reloads; lookups keep answering from the last good file. Idempotent. */
  close(): void {
    this.#closed = true
    this.#watcher?.close()
    this.#watcher = undefined
    if (this.#debounce) clearTimeout(this.#debounce)
    this.#debounce = undefined
  }

  #report(error: GeoError): void {
    if (this.listenerCount('error') > 0) this.emit('error', error)
    else process.emitWarning(error.message, { code: error.code })
  }

  #watch(): void {
    // Watch the directory, not the file: tools replace databases by rename, which a
    // file watch would lose track of.
    const name = basename(this.path)
    this.#watcher = watch(dirname(this.path), { persistent: false }, (_event, filename) => {
      if (filename !== null && filename.toString() !== name) return
      if (this.#debounce) clearTimeout(this.#debounce)
      this.#debounce = setTimeout(() => {
        this.#debounce = undefined
        void this.reload()
      }, this.#debounceMs)
      this.#debounce.unref()
    })
    this.#watcher.on('error', (cause) => {
      this.#report(new GeoError('GEO_DATABASE_INVALID', `watching ${this.path} failed: ${cause.message}`, { cause }))
    })
  }
}

const closedResult = (): ReloadResult => ({ ok: false, error: new GeoError('GEO_DATABASE_INVALID', 'database closed') })

async function loadTree(path: string, onCorrupt: (error: GeoError) => void): Promise<Tree> {
  let db: Buffer
  try {
    db = await readFile(path)
  } catch (cause) {
    throw new GeoError('GEO_DATABASE_INVALID', `${path}: cannot read (${(cause as Error).message})`, { cause })
  }
  return new Tree(path, db, onCorrupt)
}
