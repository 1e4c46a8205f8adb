/**
 * One allocation (RFC 8656 §5): the relayed transport address bound for a client
 * 5-tuple, with its lifetime, permissions and channel bindings. Plain data plus the
 * per-allocation counters of the fast path; the server owns all mutation.
 */
import type { RelayIdentity } from '../policy.js'
import { ChannelTable } from './channel-binding.js'
import type { FiveTuple, TransportAddress } from './five-tuple.js'
import type { PendingDecisions } from './held-data.js'
import type { Permissions } from './permission.js'
import { TokenBucket, type BandwidthBucket } from './token-bucket.js'
import { hostPort } from './five-tuple.js'
import type { AllocationInfo } from './events.js'
import type { Request } from './request.js'

export type AllocationState = 'pending' | 'active'

export class Allocation {
  readonly id: number
  readonly tuple: FiveTuple
  readonly tupleKey: string
  readonly identity: RelayIdentity
  /** Long-term key (RFC 8489 §9.2.2) that signs every response of this allocation. */
  readonly key: Buffer
  readonly family: 4 | 6
  /** Transaction id of the Allocate that created it: a retransmission gets the same answer. */
  readonly allocateTransaction: string
  readonly permissions: Permissions = new Map()
  readonly channels = new ChannelTable()
  /**
   * The bandwidth limit (both directions). A data plane that forwards this allocation's
   * packets itself with a bucket of its own puts that bucket here, so the server's packets
   * (Send/Data indications, TCP clients) and the plane's draw on one limit.
   */
  bucket: BandwidthBucket
  state: AllocationState = 'pending'
  relayed: TransportAddress | undefined
  expiresAt: number
  /** Kept to answer a retransmitted Allocate (RFC 8656 §7.2, last paragraph). */
  allocateResponse: Buffer | undefined
  /** When it last relayed a packet either way (server clock; its creation until then), as of the last flush. */
  lastActiveAt: number
  toPeerBytes = 0
  toPeerPackets = 0
  toClientBytes = 0
  toClientPackets = 0
  droppedBandwidth = 0
  /** Peers (`ip:port`) whose Send indications the hairpin guard refused, each reported once (bounded). */
  refusedSendPeers: Set<string> | undefined
  /** Permission decisions in progress and the data waiting for them (held-data.ts); undefined when none. */
  decisions: PendingDecisions | undefined
  /** While pending: the port being bound, how many binds failed, the Allocate to answer. */
  pendingPort = 0
  bindAttempts = 0
  wantEvenPort = false
  pendingRequest: Request | undefined

  constructor(init: {
    id: number
    tuple: FiveTuple
    tupleKey: string
    identity: RelayIdentity
    key: Buffer
    family: 4 | 6
    allocateTransaction: string
    expiresAt: number
    bandwidth: number
    now: number
  }) {
    this.id = init.id
    this.tuple = init.tuple
    this.tupleKey = init.tupleKey
    this.identity = init.identity
    this.key = init.key
    this.family = init.family
    this.allocateTransaction = init.allocateTransaction
    this.expiresAt = init.expiresAt
    this.bucket = new TokenBucket(init.bandwidth, init.now)
    this.lastActiveAt = init.now
  }

  info(): AllocationInfo {
    return {
      id: this.id,
      transport: this.tuple.transport,
      client: hostPort(this.tuple.client),
      relayed: this.relayed ? hostPort(this.relayed) : '',
      username: this.identity.username,
      meetingId: this.identity.meetingId,
      participantId: this.identity.participantId,
    }
  }
}
