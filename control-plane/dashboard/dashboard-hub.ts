/**
 * The live side of the dashboard, one per control-plane app: while at least one page is
 * subscribed it refreshes on an interval (and soon after a meeting event), reading the
 * region's meeting index, meetings, their new audit records, the decision feed and every
 * region's fleet, and hands each subscriber a snapshot and the decisions that are new.
 * The reads are shared by all pages; nothing runs while no page is open.
 */
import type { LiveRelay } from '../../state/fleet.js'
import type { RegionState } from '../../state/region-state.js'
import type { Region } from '../../geo/regions.js'
import { ControlPlaneError } from '../control-plane-error.js'
import { errorMessage, type ServerMessage } from './protocol.js'
import { emptyActivity, foldAudit, type MeetingActivity } from './meeting-activity.js'
import { buildView, decisionView, type DashboardView, type DecisionView, type FleetRead, type MeetingRead } from './view-model.js'

export interface HubSource {
  readonly region: string
  readonly nodeId: string
  readonly state: Pick<RegionState, 'meetingIndex' | 'meetings' | 'audit' | 'decisions'>
  regions(): readonly Pick<Region, 'id' | 'name' | 'country' | 'jurisdictions' | 'controlPlaneUrl'>[]
  liveRelays(region: string): Promise<readonly LiveRelay[]>
  now(): number
}

export interface HubOptions {
  readonly intervalMs?: number
  /** Meetings shown (running first, then the most recently ended). */
  readonly meetingLimit?: number
  /** Decisions a page gets when it subscribes. */
  readonly feedLength?: number
  readonly onError?: (err: unknown) => void
}

export type HubListener = (message: ServerMessage) => void

/** Audit records read per meeting per refresh; a long stream is caught up over several. */
const AUDIT_PAGE = 2000

export class DashboardHub {
  readonly #source: HubSource
  readonly #intervalMs: number
  readonly #meetingLimit: number
  readonly #feedLength: number
  readonly #onError: (err: unknown) => void
  readonly #listeners = new Set<HubListener>()
  readonly #activity = new Map<string, MeetingActivity>()
  #recent: DecisionView[] = []
  #feedCursor: string | undefined
  #view: DashboardView | undefined
  #timer: NodeJS.Timeout | undefined
  #dueAt = 0
  #running: Promise<void> | undefined
  #again = false
  #closed = false

  constructor(source: HubSource, options: HubOptions = {}) {
    this.#source = source
    this.#intervalMs = options.intervalMs ?? 1000
    this.#meetingLimit = options.meetingLimit ?? 50
    this.#feedLength = options.feedLength ?? 200
    this.#onError = options.onError ?? (() => {})
  }

  get subscribers(): number {
    return this.#listeners.size
  }

  /** Whether a refresh is waiting on its timer (tests, diagnostics). */
  get scheduled(): boolean {
    return this.#timer !== undefined
  }

  /** Resolves once no refresh is running (tests, diagnostics). */
  async settled(): Promise<void> {
    while (this.#running) await this.#running.catch(() => undefined)
  }

  /** The last view built (tests, diagnostics). */
  get view(): DashboardView | undefined {
    return this.#view
  }

  /** Adds a page: it gets the current state at once (if any), then every refresh. */
  subscribe(listener: HubListener): () => void {
    if (this.#closed) throw new ControlPlaneError('ERR_CP_CLOSED', 'dashboard hub is closed')
    this.#listeners.add(listener)
    if (this.#view) {
      listener({ type: 'snapshot', view: this.#view })
      listener({ type: 'decisions', decisions: this.#recent, reset: true })
    }
    if (this.#listeners.size === 1) this.poke(0)
    return () => {
      this.#listeners.delete(listener)
      if (this.#listeners.size === 0) this.#stop()
    }
  }

  /** Refresh soon (a meeting event happened); the interval timer continues after it. */
  poke(delayMs = 50): void {
    if (this.#closed || this.#listeners.size === 0) return
    this.#schedule(delayMs)
  }

  /** One refresh now; concurrent calls share it (and one more runs after it if asked meanwhile). */
  refresh(): Promise<void> {
    if (this.#running) {
      this.#again = true
      return this.#running
    }
    this.#running = this.#refresh().finally(() => {
      this.#running = undefined
      if (this.#again && !this.#closed) {
        this.#again = false
        void this.refresh()
      }
    })
    return this.#running
  }

  close(): void {
    this.#closed = true
    this.#listeners.clear()
    this.#stop()
  }

  #schedule(delayMs: number): void {
    const due = Date.now() + delayMs
    // Only ever moves a refresh earlier: a storm of events cannot postpone it forever.
    if (this.#timer && this.#dueAt <= due) return
    if (this.#timer) clearTimeout(this.#timer)
    this.#dueAt = due
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      void this.refresh().finally(() => {
        if (!this.#closed && this.#listeners.size > 0 && !this.#timer) this.#schedule(this.#intervalMs)
      })
    }, delayMs)
    this.#timer.unref()
  }

  #stop(): void {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = undefined
  }

  #broadcast(message: ServerMessage): void {
    for (const l of this.#listeners) l(message)
  }

  async #refresh(): Promise<void> {
    const s = this.#source
    try {
      const fleetsP = this.#readFleets()
      const indexed = await s.state.meetingIndex.list(this.#meetingLimit)
      const reads = await Promise.all(indexed.map((m) => this.#readMeeting(m.meetingId)))
      const meetings = reads.filter((m): m is MeetingRead => m !== undefined)
      const listed = new Set(indexed.map((m) => m.meetingId))
      for (const id of this.#activity.keys()) if (!listed.has(id)) this.#activity.delete(id)
      const fresh = await this.#readFeed()
      const view = buildView({ region: s.region, nodeId: s.nodeId, now: s.now(), regions: s.regions(), fleets: await fleetsP, meetings })
      this.#view = view
      this.#broadcast({ type: 'snapshot', view })
      if (fresh.reset || fresh.decisions.length > 0) this.#broadcast({ type: 'decisions', decisions: fresh.decisions, reset: fresh.reset })
    } catch (err) {
      this.#onError(err)
      this.#broadcast(errorMessage('SR_STATE_UNAVAILABLE', `the state of ${s.region} could not be read: ${err instanceof Error ? err.message : String(err)}`))
    }
  }

  async #readFleets(): Promise<Map<string, FleetRead>> {
    const regions = this.#source.regions()
    const reads = await Promise.all(regions.map(async (r): Promise<[string, FleetRead]> => {
      try {
        return [r.id, { relays: await this.#source.liveRelays(r.id) }]
      } catch (err) {
        // Shown on the region's card: another region's Redis being down is a fact to see, not to hide.
        return [r.id, { error: err instanceof Error ? err.message : String(err) }]
      }
    }))
    return new Map(reads)
  }

  async #readMeeting(meetingId: string): Promise<MeetingRead | undefined> {
    const { state } = this.#source
    const record = await state.meetings.get(meetingId)
    if (!record) {
      // The record expired (retention) before its index entry: drop the entry.
      await state.meetingIndex.remove(meetingId)
      return undefined
    }
    let activity = this.#activity.get(meetingId)
    if (!activity) this.#activity.set(meetingId, (activity = emptyActivity()))
    const [participants, records] = await Promise.all([
      state.meetings.listParticipants(meetingId),
      state.audit.read(meetingId, { ...(activity.cursor === undefined ? {} : { after: activity.cursor }), count: AUDIT_PAGE }),
    ])
    foldAudit(activity, records)
    return { record, participants, activity }
  }

  async #readFeed(): Promise<{ decisions: DecisionView[]; reset: boolean }> {
    const feed = this.#source.state.decisions
    const reset = this.#feedCursor === undefined
    const read = reset ? await feed.latest(this.#feedLength) : await feed.after(this.#feedCursor!, this.#feedLength)
    if (read.length > 0) this.#feedCursor = read.at(-1)!.id
    else if (reset) this.#feedCursor = '0-0'
    const decisions = read.map(decisionView)
    this.#recent = reset ? decisions : [...this.#recent, ...decisions].slice(-this.#feedLength)
    return { decisions, reset }
  }
}
