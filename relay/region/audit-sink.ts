/**
 * Appends the relay's residency decisions to each meeting's audit stream in its HOME
 * region (guarantee 7) without ever making the request path wait on Redis: decisions
 * are queued and written by a background flush. A write that fails (Redis down) is
 * retried on the next flush while the queue is below its bound; past the bound the
 * oldest entries are dropped and counted, never silently.
 */
import type { AuditEvent } from '../../state/audit.js'
import { StateUnavailableError } from '../../state/errors.js'
import type { RegionState } from '../../state/region-state.js'

export interface AuditSinkOptions {
  /** The state of a meeting's home region. */
  readonly resolve: (meetingId: string) => RegionState
  readonly flushMs?: number
  readonly maxQueued?: number
  readonly onError?: (err: unknown) => void
}

export class AuditSink {
  readonly #resolve: (meetingId: string) => RegionState
  readonly #max: number
  readonly #onError: (err: unknown) => void
  #queue: { meetingId: string; event: AuditEvent }[] = []
  #timer: NodeJS.Timeout
  #flushing: Promise<void> | undefined
  /** Entries dropped because the queue overflowed while the home region was unreachable. */
  dropped = 0
  written = 0

  constructor(o: AuditSinkOptions) {
    this.#resolve = o.resolve
    this.#max = o.maxQueued ?? 10_000
    this.#onError = o.onError ?? (() => {})
    this.#timer = setInterval(() => void this.flush(), o.flushMs ?? 100)
    this.#timer.unref()
  }

  get queued(): number {
    return this.#queue.length
  }

  append(meetingId: string, event: AuditEvent): void {
    this.#queue.push({ meetingId, event })
    if (this.#queue.length > this.#max) {
      const excess = this.#queue.length - this.#max
      this.#queue.splice(0, excess)
      this.dropped += excess
    }
  }

  /**
   * Writes everything queued at the time of the call; entries whose write failed go back
   * to the front, in order. A flush already under way is awaited first, then what was
   * queued meanwhile is written too.
   */
  flush(): Promise<void> {
    if (this.#flushing) return this.#flushing.then(() => this.flush())
    if (this.#queue.length === 0) return Promise.resolve()
    const batch = this.#queue
    this.#queue = []
    this.#flushing = (async () => {
      const failed: typeof batch = []
      // One meeting's entries stay in order: they are written sequentially per meeting.
      const byMeeting = new Map<string, AuditEvent[]>()
      for (const { meetingId, event } of batch) {
        let list = byMeeting.get(meetingId)
        if (!list) byMeeting.set(meetingId, (list = []))
        list.push(event)
      }
      await Promise.all([...byMeeting].map(async ([meetingId, events]) => {
        for (let i = 0; i < events.length; i++) {
          try {
            await this.#resolve(meetingId).audit.append(meetingId, events[i]!)
            this.written++
          } catch (err) {
            this.#onError(err)
            // Only an outage is worth retrying; anything else would fail forever.
            if (err instanceof StateUnavailableError) for (const e of events.slice(i)) failed.push({ meetingId, event: e })
            else this.dropped += events.length - i
            return
          }
        }
      }))
      if (failed.length > 0) {
        this.#queue = [...failed, ...this.#queue]
        if (this.#queue.length > this.#max) {
          const excess = this.#queue.length - this.#max
          this.#queue.splice(0, excess)
          this.dropped += excess
        }
      }
    })().finally(() => {
      this.#flushing = undefined
    })
    return this.#flushing
  }

  /** Stops the timer and makes one last attempt to write what is queued. */
  async close(): Promise<void> {
    clearInterval(this.#timer)
    await this.flush()
  }
}
