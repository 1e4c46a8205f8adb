/**
 * The relay's observable events. Metrics, audit and logs subscribe here so protocol
 * code never touches them (pion/turn's EventHandler, mediasoup's observer). Byte
 * counts are batched: the server accumulates per allocation and flushes on tick.
 */
import type { ClientTransport } from './five-tuple.js'
import type { Reason } from '../../geo/verdict.js'

export interface AllocationInfo {
  readonly id: number
  readonly transport: ClientTransport
  readonly client: string
  readonly relayed: string
  readonly username: string
  readonly meetingId: string | undefined
  readonly participantId: string | undefined
}

export type DeleteCause = 'refresh' | 'expired' | 'revoked' | 'connection-closed' | 'shutdown' | 'bind-failed' | 'evicted-idle'
export type QuotaKind = 'participant' | 'meeting' | 'capacity' | 'bandwidth'
export type DropReason =
  | 'not-stun'
  | 'malformed'
  | 'bad-fingerprint'
  | 'no-allocation'
  | 'no-permission'
  | 'no-channel'
  | 'bandwidth'
  | 'unexpected-class'
  | 'unknown-method'
  | 'pending'
  | 'relay-service'

export interface RelayEvents {
  'allocation-created': [info: AllocationInfo]
  'allocation-refreshed': [info: AllocationInfo, lifetimeSeconds: number]
  'allocation-deleted': [info: AllocationInfo, cause: DeleteCause]
  'permission-denied': [info: { readonly method: 'allocate' | 'create-permission' | 'channel-bind' | 'send'; readonly reason: Reason; readonly meetingId: string | undefined }]
  'quota-exceeded': [kind: QuotaKind]
  'auth-failed': [code: number]
  /** Batched: totals since the previous flush, client→peer and peer→client. */
  'bytes-relayed': [counts: { readonly toPeerBytes: number; readonly toPeerPackets: number; readonly toClientBytes: number; readonly toClientPackets: number }]
  'dropped': [reason: DropReason, count: number]
  'request': [method: string, outcome: number]
  /** The policy hook threw or rejected; the request was denied (fail closed). */
  'policy-failed': [error: unknown]
}

type Listener<A extends unknown[]> = (...args: A) => void

/** A minimal typed emitter; a throwing listener is the listener's bug and propagates. */
export class TypedEmitter<E extends { [K in keyof E]: unknown[] }> {
  readonly #listeners = new Map<keyof E, Set<Listener<never[]>>>()

  on<K extends keyof E>(event: K, listener: Listener<E[K]>): () => void {
    let set = this.#listeners.get(event)
    if (!set) this.#listeners.set(event, (set = new Set()))
    set.add(listener as unknown as Listener<never[]>)
    return () => set.delete(listener as unknown as Listener<never[]>)
  }

  emit<K extends keyof E>(event: K, ...args: E[K]): void {
    const set = this.#listeners.get(event)
    if (!set) return
    for (const l of set) (l as unknown as Listener<E[K]>)(...args)
  }

  listenerCount<K extends keyof E>(event: K): number {
    return this.#listeners.get(event)?.size ?? 0
  }
}
