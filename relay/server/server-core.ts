/**
 * What the per-method handlers see of the server: options, state and a few shared
 * steps. Kept as an interface so each `handle-*.ts` file stays a plain function.
 */
import type { Verdict } from '../../geo/verdict.js'
import type { StunErrorCode } from '../proto/constants.js'
import type { AttributeInput, StunMessage } from '../proto/message.js'
import type { RelayIdentity, RelayPolicy } from '../policy.js'
import type { Action } from './actions.js'
import type { Allocation } from './allocation.js'
import type { AllocationTable } from './allocation-table.js'
import type { AuthOutcome } from './authenticate.js'
import type { DeleteCause, DropReason, RelayEvents, TypedEmitter } from './events.js'
import type { PortPool } from './port-pool.js'
import type { Request } from './request.js'

export interface Quotas {
  readonly allocationsPerParticipant: number
  /**
   * At the per-participant quota, an Allocate takes the place of that participant's
   * allocation that has relayed nothing for this long (a connection its client closed
   * without releasing it: libjuice never does) instead of being refused with 486.
   * 0: never, always 486.
   */
  readonly evictIdleAfterSeconds: number
  readonly allocationsPerMeeting: number
  /** Total allocations this server accepts before answering 508. */
  readonly capacity: number
  /** Per-allocation token bucket, bytes per second (both directions share it). */
  readonly bandwidthBytesPerSecond: number
}

export interface Lifetimes {
  readonly defaultSeconds: number
  readonly maxSeconds: number
}

/**
 * The TURN hairpin guard (relay/peer-safety/relay-services.ts): relays' service ports,
 * and their addresses outside the relayed port ranges, are never peers. `check` is
 * synchronous (the Send path asks it per indication); `refresh` updates what it knows
 * of the fleet before a permission or channel decision.
 */
export interface RelayServiceGuard {
  refresh(): Promise<void>
  check(peer: { readonly address: string; readonly port: number }): Verdict | undefined
}

export const NO_RELAY_SERVICE_GUARD: RelayServiceGuard = { refresh: () => Promise.resolve(), check: () => undefined }

export interface ServerCore {
  readonly realm: string
  readonly quotas: Quotas
  readonly lifetimes: Lifetimes
  readonly policy: RelayPolicy
  readonly table: AllocationTable
  readonly events: TypedEmitter<RelayEvents>
  readonly draining: boolean
  /** The injected clock (ms). */
  readonly now: () => number
  readonly relayAddresses: { readonly 4?: string; readonly 6?: string }
  portPool(family: 4 | 6): PortPool | undefined
  peerSafety(address: string): Verdict
  readonly relayServices: RelayServiceGuard
  authenticate(req: Request): AuthOutcome
  /** The response to a failed authentication, as an action list. */
  authFailure(req: Request, outcome: Extract<AuthOutcome, { ok: false }>): Action[]
  success(req: Request, attributes: AttributeInput[], key?: Buffer): Action[]
  failure(req: Request, code: StunErrorCode, key?: Buffer, extra?: AttributeInput[]): Action[]
  newAllocation(req: Request, identity: RelayIdentity, key: Buffer, family: 4 | 6, lifetimeSeconds: number): Allocation
  deleteAllocation(a: Allocation, cause: DeleteCause): Action[]
  countDrop(reason: DropReason): Action
  /** Comprehension-required attribute types of the message this server does not know (→ 420). */
  unknownRequired(msg: StunMessage): number[]
}
