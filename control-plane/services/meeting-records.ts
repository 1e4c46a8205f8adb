/**
 * The meeting records one node read last, by id, and the `Meeting` view of a record.
 * Reused for what is shown to participants and when a write reports the version already
 * held; never for admission decisions. The region's meeting events drop what they change
 * (see `forget`), and the oldest read goes first once `max` are kept.
 */
import type { MeetingRecord } from '../../state/meetings.js'

/** A meeting as the service hands it out: the record plus the fields kept in `data`. */
export interface Meeting extends MeetingRecord {
  readonly passcode?: string
  readonly title?: string
}

export function toMeeting(record: MeetingRecord): Meeting {
  const passcode = typeof record.data?.passcode === 'string' ? record.data.passcode : undefined
  const title = typeof record.data?.title === 'string' ? record.data.title : undefined
  return { ...record, ...(passcode === undefined ? {} : { passcode }), ...(title === undefined ? {} : { title }) }
}

/** Meeting records remembered per node (the oldest read first out when full). */
export const RECORDS_KEPT = 4096

export class MeetingRecords {
  readonly #records = new Map<string, MeetingRecord>()
  readonly #max: number

  constructor(max = RECORDS_KEPT) {
    this.#max = max
  }

  get(meetingId: string): MeetingRecord | undefined {
    return this.#records.get(meetingId)
  }

  remember(record: MeetingRecord): void {
    if (!this.#records.has(record.id) && this.#records.size >= this.#max) this.#records.delete(this.#records.keys().next().value!)
    this.#records.set(record.id, record)
  }

  forget(meetingId: string): void {
    this.#records.delete(meetingId)
  }

  /** The record at `version`: the one read last when it is that version (every change bumps it), else `read` (remembered). */
  async at(meetingId: string, version: number, read: (meetingId: string) => Promise<MeetingRecord | undefined>): Promise<MeetingRecord | undefined> {
    const known = this.#records.get(meetingId)
    if (known?.version === version) return known
    const fresh = await read(meetingId)
    if (fresh) this.remember(fresh)
    return fresh
  }
}
