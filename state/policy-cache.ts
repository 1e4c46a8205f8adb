/**
 * The relay-side cache of meeting policy. A snapshot is read once from the meeting's
 * HOME region (through `resolve`, normally `registry.forMeeting`) and reused until
 *   - an invalidation with a newer version arrives (policy channel),
 *   - a revocation of the meeting arrives (revocation channel; also emitted as
 *     'revoked' so the relay drops allocations at once),
 *   - the subscriber reconnected (messages may have been missed: everything of that
 *     region turns stale and 'resync' tells the relay to re-check its allocations), or
 *   - `ttlMs` passed (fallback should an invalidation be lost some other way).
 * Memory is bounded three ways (issue 9 item 15): at most `maxEntries` meetings (oldest
 * read dropped first); a meeting-wide revocation (meeting ended, everyone revoked) forgets
 * the meeting's snapshot at once; and a snapshot nobody read for `idleMs` is dropped by
 * the next successful read (at most one sweep per `idleMs / 4`).
 * While the region's subscriber is not connected nothing cached is trusted: every get
 * reads fresh (and fails if the command connection is down too).
 * `get` fails (StateUnavailableError) when it cannot verify: callers fail closed for
 * new work; `lastKnown` keeps existing allocations running on last-known policy.
 */
import { EventEmitter } from 'node:events'
import { StateError } from './errors.js'
import type { PolicyInvalidation, PolicySnapshot } from './policy.js'
import type { RevocationMessage } from './revocation.js'
import { ALL_PARTICIPANTS, decodeRevocation } from './revocation.js'
import type { RegionState } from './region-state.js'
import type { Subscription } from './pubsub.js'
import { homeRegionOf } from './meeting-id.js'

interface Entry {
  snapshot: PolicySnapshot
  region: string
  fetchedAt: number
  /** Last time `get` asked for it (the idle sweep goes by this). */
  usedAt: number
  stale: boolean
}

export interface ReceivedRevocation extends RevocationMessage {
  /** Receiver's clock when it arrived: receivedAt - at is the publish-to-relay latency. */
  readonly receivedAt: number
}

export interface PolicyCacheOptions {
  /** The state of the meeting's home region (e.g. `(id) => registry.forMeeting(id)`). */
  readonly resolve: (meetingId: string) => RegionState
  readonly ttlMs?: number
  readonly now?: () => number
  readonly maxEntries?: number
  /** A snapshot not read for this long is dropped (default 5 minutes). */
  readonly idleMs?: number
}

export class PolicyCache extends EventEmitter<{
  revoked: [ReceivedRevocation]
  invalidated: [PolicyInvalidation]
  /** The subscriber of `region` reconnected: re-check allocations of its meetings. */
  resync: [string]
}> {
  readonly #resolve: (meetingId: string) => RegionState
  readonly #ttlMs: number
  readonly #now: () => number
  readonly #max: number
  readonly #idleMs: number
  #sweptAt: number
  readonly #entries = new Map<string, Entry>()
  readonly #minVersion = new Map<string, number>()
  /** Bumped by every message about a meeting (and every resync), so a read that raced one is stale. */
  readonly #epoch = new Map<string, number>()
  #resyncs = 0
  readonly #inflight = new Map<string, Promise<PolicySnapshot | undefined>>()
  readonly #watching = new Map<string, Promise<void>>()
  readonly #subs: Subscription[] = []
  readonly #unlisten: (() => void)[] = []
  #closed = false

  constructor(options: PolicyCacheOptions) {
    super()
    this.#resolve = options.resolve
    this.#ttlMs = options.ttlMs ?? 30_000
    this.#now = options.now ?? Date.now
    this.#max = options.maxEntries ?? 10_000
    this.#idleMs = options.idleMs ?? 300_000
    this.#sweptAt = this.#now()
  }

  /** Fresh policy of a meeting, or undefined when it does not exist. */
  async get(meetingId: string): Promise<PolicySnapshot | undefined> {
    const state = this.#resolve(meetingId)
    await this.watch(state)
    const e = this.#entries.get(meetingId)
    // While the subscriber is disconnected invalidations may be passing us by: read fresh.
    const listening = state.subscriberHealth.state === 'connected'
    if (e) e.usedAt = this.#now()
    if (e && !e.stale && listening && this.#now() - e.fetchedAt < this.#ttlMs) return e.snapshot
    let p = this.#inflight.get(meetingId)
    if (!p) {
      p = this.#fetch(state, meetingId).finally(() => this.#inflight.delete(meetingId))
      this.#inflight.set(meetingId, p)
    }
    return p
  }

  /** The last snapshot read, fresh or not (for allocations that already exist). */
  lastKnown(meetingId: string): PolicySnapshot | undefined {
    return this.#entries.get(meetingId)?.snapshot
  }

  invalidate(meetingId: string): void {
    const e = this.#entries.get(meetingId)
    if (e) e.stale = true
  }

  /** Meetings with a cached snapshot (the relay re-checks them on 'resync'). */
  cachedMeetings(region?: string): string[] {
    return [...this.#entries].filter(([, e]) => region === undefined || e.region === region).map(([id]) => id)
  }

  /**
   * The region's Redis lost its data (state-epoch.ts): the snapshots cached from it
   * describe meetings that no longer exist. They are forgotten (a read in flight turns
   * stale) and 'resync' tells the relay to re-check its allocations of that region, which
   * drops those of the vanished meetings.
   */
  stateLost(region: string): void {
    for (const [id, e] of [...this.#entries]) if (e.region === region) this.#forget(id)
    this.#resyncs += 1
    this.emit('resync', region)
  }

  /** Subscribe to a region's invalidations and revocations (done lazily by get). */
  watch(state: RegionState): Promise<void> {
    let w = this.#watching.get(state.region)
    if (!w) {
      w = this.#subscribe(state)
      this.#watching.set(state.region, w)
      // A failed subscription is retried on the next call, not cached.
      w.catch(() => this.#watching.delete(state.region))
    }
    return w
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const u of this.#unlisten) u()
    await Promise.allSettled(this.#subs.map((s) => s.unsubscribe()))
    this.#entries.clear()
  }

  async #subscribe(state: RegionState): Promise<void> {
    const channels = state.keys.channels()
    const policy = await state.pubsub.subscribe(channels.policy, (raw) => {
      const inv = JSON.parse(raw) as PolicyInvalidation
      if (this.#tracked(inv.meetingId)) {
        this.#minVersion.set(inv.meetingId, Math.max(inv.version, this.#minVersion.get(inv.meetingId) ?? 0))
        this.#touch(inv.meetingId)
      }
      const e = this.#entries.get(inv.meetingId)
      if (e && e.snapshot.version < inv.version) e.stale = true
      this.emit('invalidated', inv)
    })
    let revocations: Subscription
    try {
      revocations = await state.pubsub.subscribe(channels.revocations, (raw) => {
        const m = decodeRevocation(raw)
        if (!m) throw new StateError('ERR_STATE_CORRUPT', `undecodable revocation on ${channels.revocations}`)
        if (this.#tracked(m.meetingId)) this.#touch(m.meetingId)
        this.invalidate(m.meetingId)
        // Ended (or everyone revoked): nothing of it is served any more; a later ask reads afresh.
        // A read in flight keeps its race bookkeeping, so its result is still marked stale.
        if (m.participantId === undefined || m.participantId === ALL_PARTICIPANTS) {
          if (this.#inflight.has(m.meetingId)) this.#entries.delete(m.meetingId)
          else this.#forget(m.meetingId)
        }
        this.emit('revoked', { ...m, receivedAt: this.#now() })
      })
    } catch (err) {
      await policy.unsubscribe()
      throw err
    }
    this.#subs.push(policy, revocations)
    this.#unlisten.push(state.pubsub.onResubscribed(() => {
      this.#resyncs += 1
      for (const e of this.#entries.values()) if (e.region === state.region) e.stale = true
      this.emit('resync', state.region)
    }))
  }

  /** Only meetings cached or being read need version bookkeeping (keeps the maps bounded). */
  #tracked(meetingId: string): boolean {
    return this.#entries.has(meetingId) || this.#inflight.has(meetingId)
  }

  #touch(meetingId: string): void {
    this.#epoch.set(meetingId, (this.#epoch.get(meetingId) ?? 0) + 1)
  }

  /** Drops snapshots nobody asked for within `idleMs` (done after a successful read: never while the store is unreachable). */
  #sweep(now: number): void {
    this.#sweptAt = now
    for (const [id, e] of [...this.#entries]) if (now - e.usedAt >= this.#idleMs) this.#forget(id)
  }

  #forget(meetingId: string): void {
    this.#entries.delete(meetingId)
    this.#minVersion.delete(meetingId)
    this.#epoch.delete(meetingId)
  }

  async #fetch(state: RegionState, meetingId: string): Promise<PolicySnapshot | undefined> {
    const epoch = this.#epoch.get(meetingId)
    const resyncs = this.#resyncs
    const snapshot = await state.policy.snapshot(meetingId)
    if (!snapshot) {
      this.#forget(meetingId)
      return undefined
    }
    const stale = snapshot.version < (this.#minVersion.get(meetingId) ?? 0) || this.#epoch.get(meetingId) !== epoch || this.#resyncs !== resyncs
    this.#entries.delete(meetingId)
    const now = this.#now()
    this.#entries.set(meetingId, { snapshot, region: homeRegionOf(meetingId) ?? state.region, fetchedAt: now, usedAt: now, stale })
    if (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next().value
      if (oldest !== undefined) this.#forget(oldest)
    }
    if (now - this.#sweptAt >= this.#idleMs / 4) this.#sweep(now)
    return snapshot
  }
}
