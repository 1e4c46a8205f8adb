/**
 * What a node of the region records about its meetings: audit entries in the meeting's
 * stream (guarantee 7, always in the home region: this node's state) and meeting events,
 * handed to this node's listeners at once and published on the region's bus for the
 * others. An event from the bus that this node published is not handed on twice.
 */
import type { AuditEvent } from '../../state/audit.js'
import type { RegionState } from '../../state/region-state.js'
import type { Subscription } from '../../state/pubsub.js'
import { ControlPlaneError } from '../control-plane-error.js'
import type { AuditReason } from '../security/admission-reasons.js'
import { isMeetingEvent, MEETING_EVENTS_CHANNEL, type MeetingEvent } from './meeting-events.js'

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never

/** An audit entry as the service writes it; `by`: the participant who acted (appended to the detail). */
export type JournalAuditEvent = Omit<AuditEvent, 'at' | 'actor' | 'region' | 'reason'> & { readonly reason: AuditReason; readonly by?: string }
export type JournalEvent = DistributiveOmit<MeetingEvent, 'origin' | 'at'>

export interface MeetingJournalOptions {
  readonly region: string
  readonly nodeId: string
  readonly state: Pick<RegionState, 'audit' | 'bus'>
  readonly now: () => number
  /** Every event, this node's and the region's others', in the order they reach this node. */
  readonly deliver: (event: MeetingEvent) => void
}

export class MeetingJournal {
  readonly #o: MeetingJournalOptions
  #subscription: Subscription | undefined

  constructor(o: MeetingJournalOptions) {
    this.#o = o
  }

  async audit(meetingId: string, event: JournalAuditEvent): Promise<void> {
    const { by, ...rest } = event
    const detail = by === undefined ? rest.detail : `${rest.detail ?? ''}${rest.detail ? '; ' : ''}by ${by}`
    await this.#o.state.audit.append(meetingId, { ...rest, ...(detail === undefined ? {} : { detail }), at: this.#o.now(), actor: this.#o.nodeId, region: this.#o.region })
  }

  async publish(event: JournalEvent): Promise<void> {
    const full = { ...event, origin: this.#o.nodeId, at: this.#o.now() } as MeetingEvent
    this.#o.deliver(full)
    await this.#o.state.bus.publish(MEETING_EVENTS_CHANNEL, full)
  }

  /** Subscribe to the region's bus, delivering the other nodes' events. Idempotent. */
  async listen(onError: (err: Error) => void): Promise<void> {
    if (this.#subscription) return
    this.#subscription = await this.#o.state.bus.subscribe(MEETING_EVENTS_CHANNEL, (payload) => {
      if (!isMeetingEvent(payload)) return onError(new ControlPlaneError('ERR_CP_BUS_UNDECODABLE', 'undecodable meeting event on the bus'))
      if (payload.origin === this.#o.nodeId) return
      this.#o.deliver(payload)
    }, onError)
  }

  async close(): Promise<void> {
    const sub = this.#subscription
    this.#subscription = undefined
    await sub?.unsubscribe()
  }
}
