/**
 * The allocation table: by 5-tuple key (control path), by id (relay sockets), by
 * listener → client port → client address (the per-packet lookup, which builds no
 * strings), each participant's allocations and the count per meeting for the quotas
 * (RFC 8656 §7.2 step "486 Allocation Quota Reached").
 */
import type { Allocation } from './allocation.js'
import { hostPort } from './five-tuple.js'

export function listenerKey(transport: string, server: { family: 4 | 6; address: string; port: number }): string {
  return `${transport}|${hostPort(server)}`
}

export class AllocationTable {
  readonly #byTuple = new Map<string, Allocation>()
  readonly #byId = new Map<number, Allocation>()
  readonly #byClient = new Map<string, Map<number, Map<string, Allocation>>>()
  readonly #perParticipant = new Map<string, Set<Allocation>>()
  readonly #perMeeting = new Map<string, number>()

  get size(): number {
    return this.#byId.size
  }

  byTuple(key: string): Allocation | undefined {
    return this.#byTuple.get(key)
  }

  byId(id: number): Allocation | undefined {
    return this.#byId.get(id)
  }

  /** The per-packet lookup: no string is built. */
  byClient(listener: string, port: number, address: string): Allocation | undefined {
    return this.#byClient.get(listener)?.get(port)?.get(address)
  }

  values(): IterableIterator<Allocation> {
    return this.#byId.values()
  }

  /** The allocations of one participant of a meeting (none for a username that names no participant). */
  participantAllocations(meetingId: string | undefined, participantId: string | undefined): ReadonlySet<Allocation> {
    return (participantId === undefined ? undefined : this.#perParticipant.get(participantKey(meetingId, participantId))) ?? NONE
  }

  meetingCount(meetingId: string | undefined): number {
    return meetingId === undefined ? 0 : this.#perMeeting.get(meetingId) ?? 0
  }

  add(a: Allocation): void {
    this.#byTuple.set(a.tupleKey, a)
    this.#byId.set(a.id, a)
    const lk = listenerKey(a.tuple.transport, a.tuple.server)
    let ports = this.#byClient.get(lk)
    if (!ports) this.#byClient.set(lk, (ports = new Map()))
    let addresses = ports.get(a.tuple.client.port)
    if (!addresses) ports.set(a.tuple.client.port, (addresses = new Map()))
    addresses.set(a.tuple.client.address, a)
    const { meetingId, participantId } = a.identity
    if (participantId !== undefined) {
      const key = participantKey(meetingId, participantId)
      let own = this.#perParticipant.get(key)
      if (!own) this.#perParticipant.set(key, (own = new Set()))
      own.add(a)
    }
    if (meetingId !== undefined) bump(this.#perMeeting, meetingId, 1)
  }

  remove(a: Allocation): boolean {
    if (this.#byId.get(a.id) !== a) return false
    this.#byTuple.delete(a.tupleKey)
    this.#byId.delete(a.id)
    const lk = listenerKey(a.tuple.transport, a.tuple.server)
    const ports = this.#byClient.get(lk)
    const addresses = ports?.get(a.tuple.client.port)
    addresses?.delete(a.tuple.client.address)
    if (addresses?.size === 0) ports?.delete(a.tuple.client.port)
    if (ports?.size === 0) this.#byClient.delete(lk)
    const { meetingId, participantId } = a.identity
    if (participantId !== undefined) {
      const key = participantKey(meetingId, participantId)
      const own = this.#perParticipant.get(key)
      own?.delete(a)
      if (own?.size === 0) this.#perParticipant.delete(key)
    }
    if (meetingId !== undefined) bump(this.#perMeeting, meetingId, -1)
    return true
  }
}

const NONE: ReadonlySet<Allocation> = new Set()

function participantKey(meetingId: string | undefined, participantId: string): string {
  return `${meetingId ?? ''}/${participantId}`
}

function bump(map: Map<string, number>, key: string, by: number): void {
  const next = (map.get(key) ?? 0) + by
  if (next <= 0) map.delete(key)
  else map.set(key, next)
}
