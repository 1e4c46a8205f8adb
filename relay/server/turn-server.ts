/**
 * The sans-IO TURN server (RFC 8656 over RFC 8489). Bytes and a 5-tuple in, a list of
 * actions out; time comes from the injected clock. The socket layer (relay/node)
 * executes the actions and calls back `relayBound`, `tick`, `clientClosed`.
 *
 * Two per-packet fast paths bypass the action list so that a relayed packet creates no
 * objects: `channelDataFromClient` (ChannelData → the bound peer) and `fromPeer`
 * (peer datagram → ChannelData or Data indication).
 */
import type { Verdict } from '../../geo/verdict.js'
import { RelayError } from '../errors.js'
import { Attr, MessageClass, Method, StunErrorCode, isComprehensionRequired } from '../proto/constants.js'
import { hasFingerprint, verifyFingerprint } from '../proto/fingerprint.js'
import { decodeMessage, type AttributeInput, type StunMessage } from '../proto/message.js'
import { writeIpv4, writeIpv6 } from '../proto/ip-bytes.js'
import { encodeXorAddress } from '../proto/xor-address.js'
import { openPolicy, type RelayIdentity, type RelayPolicy } from '../policy.js'
import { drop, type Action } from './actions.js'
import { Allocation } from './allocation.js'
import { AllocationTable } from './allocation-table.js'
import { authenticate, type AuthOutcome, type TurnAuth } from './authenticate.js'
import type { ChannelBinding } from './channel-binding.js'
import { TypedEmitter, type DeleteCause, type DropReason, type RelayEvents } from './events.js'
import { fiveTupleKey, keptKey, type FiveTuple } from './five-tuple.js'
import { handleAllocate } from './handle-allocate.js'
import { handleBinding } from './handle-binding.js'
import { handleChannelBind } from './handle-channel-bind.js'
import { routeChannelData } from './handle-channel-data.js'
import { handleCreatePermission } from './handle-create-permission.js'
import { framePeerData } from './handle-peer-data.js'
import { handleRefresh } from './handle-refresh.js'
import { handleSend } from './handle-send.js'
import { releaseHeld } from './release-held.js'
import { expirePermissions } from './permission.js'
import { PortPool } from './port-pool.js'
import { errorResponse, successResponse, type Responder } from './respond.js'
import type { Request } from './request.js'
import { NO_RELAY_SERVICE_GUARD, type Lifetimes, type Quotas, type RelayServiceGuard, type ServerCore } from './server-core.js'
import { KNOWN_ATTRIBUTES, lifetimeAttr } from './wire.js'

export interface TurnServerOptions {
  realm: string
  /** SOFTWARE attribute of every response; omit to send none. */
  software?: string
  auth: TurnAuth
  /** Denied peer ranges (relay/peer-safety), applied before the policy hook, always. */
  peerSafety: (address: string) => Verdict
  /** The TURN hairpin guard, applied after peer safety and before the policy hook. Default: none. */
  relayServices?: RelayServiceGuard
  policy?: RelayPolicy
  /** Addresses relayed sockets bind on, per family; a missing family answers 440. */
  relayAddresses: { 4?: string; 6?: string }
  /**
   * Behind 1:1 NAT: the public address that XOR-RELAYED-ADDRESS carries instead of the
   * bound one, per family (the port is the bound port: 1:1 NAT keeps ports). coturn's
   * `--external-ip public/private`.
   */
  advertisedAddresses?: { 4?: string; 6?: string }
  ports?: { min: number; max: number }
  quotas?: Partial<Quotas>
  lifetimes?: Partial<Lifetimes>
  now?: () => number
  random?: () => number
  /** How often byte counters are flushed as events (ms). */
  flushIntervalMs?: number
  /** Ports tried for one allocation before answering 508. */
  maxBindAttempts?: number
}

export const DEFAULT_QUOTAS: Quotas = {
  allocationsPerParticipant: 4,
  evictIdleAfterSeconds: 30,
  allocationsPerMeeting: 500,
  capacity: 10_000,
  bandwidthBytesPerSecond: 2_500_000,
}

const BYTES_FLUSH_MS = 1000

export class TurnServer implements ServerCore {
  readonly realm: string
  readonly software: string | undefined
  readonly quotas: Quotas
  readonly lifetimes: Lifetimes
  readonly policy: RelayPolicy
  readonly table = new AllocationTable()
  readonly events = new TypedEmitter<RelayEvents>()
  readonly relayAddresses: { readonly 4?: string; readonly 6?: string }
  readonly advertisedAddresses: { readonly 4?: string; readonly 6?: string }
  readonly now: () => number
  readonly relayServices: RelayServiceGuard
  readonly #auth: TurnAuth
  readonly #peerSafety: (address: string) => Verdict
  readonly #pools: { 4?: PortPool; 6?: PortPool }
  readonly #responder: Responder
  readonly #flushMs: number
  readonly #maxBindAttempts: number
  #draining = false
  #closed = false
  #nextId = 1
  #portsRefused = 0
  #lastFlush: number
  readonly #drops = new Map<DropReason, number>()

  constructor(o: TurnServerOptions) {
    this.realm = o.realm
    this.software = o.software
    this.quotas = { ...DEFAULT_QUOTAS, ...o.quotas }
    this.lifetimes = { defaultSeconds: 600, maxSeconds: 3600, ...o.lifetimes }
    this.policy = o.policy ?? openPolicy
    this.relayAddresses = { ...o.relayAddresses }
    this.advertisedAddresses = checkAdvertised(o.relayAddresses, o.advertisedAddresses ?? {})
    this.now = o.now ?? Date.now
    this.#auth = o.auth
    this.#peerSafety = o.peerSafety
    this.relayServices = o.relayServices ?? NO_RELAY_SERVICE_GUARD
    const ports = o.ports ?? { min: 49152, max: 65535 }
    this.#pools = {}
    if (o.relayAddresses[4] !== undefined) this.#pools[4] = new PortPool(ports.min, ports.max, o.random, this.now)
    if (o.relayAddresses[6] !== undefined) this.#pools[6] = new PortPool(ports.min, ports.max, o.random, this.now)
    this.#flushMs = o.flushIntervalMs ?? BYTES_FLUSH_MS
    this.#maxBindAttempts = o.maxBindAttempts ?? 16
    this.#lastFlush = this.now()
    const auth = this.#auth
    const now = this.now
    this.#responder = { realm: this.realm, software: this.software, issueNonce: (clientAddress) => auth.issueNonce(now(), clientAddress) }
  }

  /** Relayed ports the kernel refused (held by a socket not ours); each cost a second bind. */
  get portsRefused(): number {
    return this.#portsRefused
  }

  get draining(): boolean {
    return this.#draining
  }

  get closed(): boolean {
    return this.#closed
  }

  // ---- entry points for the socket layer -------------------------------------------

  /**
   * A datagram (UDP) or a complete frame (TCP, from the stream framer) from a client.
   * STUN requests may consult the async policy hook, hence the possible promise.
   * `tupleKey`: fiveTupleKey(tuple), when the caller has built it already.
   */
  handleClientPacket(tuple: FiveTuple, data: Buffer, tupleKey = fiveTupleKey(tuple)): Action[] | Promise<Action[]> {
    if (this.#closed) return [drop('no-allocation')]
    const first = data[0]
    if (first === undefined) return [this.countDrop('malformed')]
    // RFC 8656 §12: the first two bits tell ChannelData (0b01) from STUN (0b00).
    if ((first & 0xc0) === 0x40) {
      const allocation = this.table.byTuple(tupleKey)
      if (!allocation || allocation.state !== 'active') return [this.countDrop('no-allocation')]
      const routed = this.channelDataFromClient(allocation, data)
      if (routed === 'held') return []
      if (typeof routed === 'string') return [drop(routed)]
      return [{ type: 'send-peer', allocationId: allocation.id, peer: routed.peer, data: data.subarray(4, 4 + data.readUInt16BE(2)) }]
    }
    if ((first & 0xc0) !== 0) return [this.countDrop('not-stun')]
    let msg: StunMessage
    try {
      msg = decodeMessage(data)
    } catch (err) {
      if (isCoded(err)) return [this.countDrop('malformed')] // RFC 8489 §6.3: malformed → silently discarded
      throw err
    }
    // RFC 8489 §7.3: a message whose FINGERPRINT does not verify is discarded.
    if (hasFingerprint(msg) && !verifyFingerprint(msg)) return [this.countDrop('bad-fingerprint')]
    const req: Request = { msg, tuple, tupleKey, now: this.now() }
    if (msg.cls === MessageClass.Indication) {
      return msg.method === Method.Send ? handleSend(this, req) : [this.countDrop('unknown-method')]
    }
    if (msg.cls !== MessageClass.Request) return [this.countDrop('unexpected-class')]
    return this.#request(req)
  }

  /** Synchronous unless the handler consults the (possibly async) policy hook. */
  #request(req: Request): Action[] | Promise<Action[]> {
    switch (req.msg.method) {
      case Method.Binding: return handleBinding(this, req)
      case Method.Allocate: return handleAllocate(this, req)
      case Method.Refresh: return handleRefresh(this, req)
      case Method.CreatePermission: return handleCreatePermission(this, req)
      case Method.ChannelBind: return handleChannelBind(this, req)
      // RFC 8489 §6.3.1: a request for a method the server does not know → 400.
      default: return this.failure(req, StunErrorCode.BadRequest)
    }
  }

  /**
   * ChannelData fast path: the binding to send bytes [4, 4+length) to, or why not; `held`
   * when it waits (a copy) for a ChannelBind or permission being decided (held-data.ts).
   */
  channelDataFromClient(allocation: Allocation, data: Buffer): ChannelBinding | DropReason | 'held' {
    const now = this.now()
    const routed = routeChannelData(allocation, data, now)
    if (typeof routed !== 'string') return routed
    if (allocation.decisions !== undefined && (routed === 'no-channel' || routed === 'no-permission') && this.#hold(allocation, data, now)) return 'held'
    this.#countDropQuiet(routed)
    return routed
  }

  #hold(a: Allocation, data: Buffer, now: number): boolean {
    const d = a.decisions!
    const channel = data.readUInt16BE(0)
    const peerAddress = a.channels.byNumber(channel)?.peer.address
    if (!d.decidingChannel(channel) && (peerAddress === undefined || !d.decidingPeer(peerAddress))) return false
    // A copy: the fast paths' callers own their buffers only until they return.
    return d.hold({ kind: 'channel', channel, peerAddress, frame: Buffer.from(data.subarray(0, 4 + data.readUInt16BE(2))), at: now })
  }

  /** Peer datagram fast path: the frame to send to the allocation's client, or why not. */
  fromPeer(allocation: Allocation, address: string, port: number, data: Buffer): Buffer | DropReason {
    const framed = framePeerData(allocation, address, port, data, this.now())
    if (typeof framed === 'string') this.#countDropQuiet(framed)
    return framed
  }

  /** The socket layer bound the relayed socket of a pending allocation: answer the Allocate. */
  relayBound(allocationId: number): Action[] {
    const a = this.table.byId(allocationId)
    const req = a?.pendingRequest
    if (!a || a.state !== 'pending' || !req) return [{ type: 'close-relay', allocationId }]
    const address = this.relayAddresses[a.family]!
    a.relayed = { family: a.family, address, port: a.pendingPort }
    a.state = 'active'
    a.pendingRequest = undefined
    const lifetime = Math.round((a.expiresAt - req.now) / 1000)
    // RFC 8656 §7.2: the response carries the relayed transport address *as the peers see
    // it*; behind 1:1 NAT that is the public address with the bound port.
    const advertised = this.advertisedAddresses[a.family]
    const [reply] = this.success(req, [
      { type: Attr.XorRelayedAddress, value: encodeXorAddress(advertised === undefined ? a.relayed : { ...a.relayed, address: advertised }, req.msg.transactionId) },
      lifetimeAttr(lifetime),
      { type: Attr.XorMappedAddress, value: encodeXorAddress(req.tuple.client, req.msg.transactionId) },
    ], a.key)
    // Kept for retransmissions for the allocation's life: in a buffer of its own, since a
    // slice of Node's shared pool (where responses are encoded) would keep 8 KB alive.
    const data = (reply as Extract<Action, { type: 'send-client' }>).data
    a.allocateResponse = Buffer.allocUnsafeSlow(data.length)
    data.copy(a.allocateResponse)
    this.events.emit('allocation-created', a.info())
    return [reply!, { type: 'schedule', at: Math.min(a.expiresAt, this.now() + this.#flushMs) }]
  }

  /** The kernel refused the proposed port: try another, or answer 508 after enough tries. */
  relayBindFailed(allocationId: number): Action[] {
    const a = this.table.byId(allocationId)
    const req = a?.pendingRequest
    if (!a || a.state !== 'pending' || !req) return []
    const pool = this.#pools[a.family]!
    // Someone else holds the failed port: it stays out of the choice for a while (the
    // pool hands it back later: keeping it for good would leak the range away).
    a.bindAttempts++
    this.#portsRefused++
    pool.refuse(a.pendingPort)
    const port = a.bindAttempts < this.#maxBindAttempts ? pool.acquire(a.wantEvenPort) : undefined
    a.pendingPort = 0
    if (port === undefined) {
      this.#removeQuietly(a)
      this.events.emit('quota-exceeded', 'capacity')
      return this.failure(req, StunErrorCode.InsufficientCapacity, a.key)
    }
    a.pendingPort = port
    return [{ type: 'bind-relay', allocationId: a.id, family: a.family, address: this.relayAddresses[a.family]!, port }]
  }

  /**
   * Expire allocations, permissions and channels, flush batched counters, and say
   * when to be called next.
   */
  tick(): Action[] {
    const now = this.now()
    const actions: Action[] = []
    let next = now + this.#flushMs
    for (const a of [...this.table.values()]) {
      if (a.state !== 'active') continue
      if (a.expiresAt <= now) {
        actions.push(...this.deleteAllocation(a, 'expired'))
        continue
      }
      expirePermissions(a.permissions, now)
      a.channels.expire(now)
      if (a.decisions !== undefined) actions.push(...releaseHeld(this, a))
      if (a.expiresAt < next) next = a.expiresAt
    }
    if (now - this.#lastFlush >= this.#flushMs) this.flush()
    if (!this.#closed) actions.push({ type: 'schedule', at: next })
    return actions
  }

  /**
   * A data plane that counts outside this server (the native engine) moves its counts in
   * here at the start of every flush, so each flush is exact.
   */
  setFlushSource(collect: () => void): void {
    this.#flushSource = collect
  }

  #flushSource: (() => void) | undefined

  /** Emits batched byte and drop counters now (also done by `tick`). */
  flush(): void {
    this.#flushSource?.()
    this.#lastFlush = this.now()
    let toPeerBytes = 0, toPeerPackets = 0, toClientBytes = 0, toClientPackets = 0
    const now = this.#lastFlush
    for (const a of this.table.values()) {
      if (a.toPeerPackets + a.toClientPackets > 0) a.lastActiveAt = now
      toPeerBytes += a.toPeerBytes; toPeerPackets += a.toPeerPackets
      toClientBytes += a.toClientBytes; toClientPackets += a.toClientPackets
      a.toPeerBytes = a.toPeerPackets = a.toClientBytes = a.toClientPackets = 0
    }
    toPeerBytes += this.#retired.toPeerBytes; toPeerPackets += this.#retired.toPeerPackets
    toClientBytes += this.#retired.toClientBytes; toClientPackets += this.#retired.toClientPackets
    this.#retired = { toPeerBytes: 0, toPeerPackets: 0, toClientBytes: 0, toClientPackets: 0 }
    if (toPeerPackets + toClientPackets > 0) this.events.emit('bytes-relayed', { toPeerBytes, toPeerPackets, toClientBytes, toClientPackets })
    for (const [reason, count] of this.#drops) this.events.emit('dropped', reason, count)
    this.#drops.clear()
  }

  #retired = { toPeerBytes: 0, toPeerPackets: 0, toClientBytes: 0, toClientPackets: 0 }

  /**
   * Counts of packets a data plane moved without this server (the native engine's fast
   * path) for an allocation that is gone already: they go out with the next flush.
   */
  addForwarded(c: { toPeerBytes: number; toPeerPackets: number; toClientBytes: number; toClientPackets: number }): void {
    this.#retired.toPeerBytes += c.toPeerBytes; this.#retired.toPeerPackets += c.toPeerPackets
    this.#retired.toClientBytes += c.toClientBytes; this.#retired.toClientPackets += c.toClientPackets
  }

  /** Drops a data plane counted itself (the native engine), flushed with this server's own. */
  addDrops(reason: DropReason, count: number): void {
    this.#drops.set(reason, (this.#drops.get(reason) ?? 0) + count)
  }

  /** A TCP control connection closed: its allocation goes with it (RFC 8656 §5). */
  clientClosed(tuple: FiveTuple): Action[] {
    const a = this.table.byTuple(fiveTupleKey(tuple))
    return a ? this.deleteAllocation(a, 'connection-closed') : []
  }

  /**
   * Drop every allocation of a meeting (or of one participant of it) at once: used by
   * revocation (guarantee 5). Returns the close actions; count via `.length`.
   */
  revoke(target: { meetingId: string; participantId?: string }): Action[] {
    const actions: Action[] = []
    for (const a of [...this.table.values()]) {
      if (a.identity.meetingId !== target.meetingId) continue
      if (target.participantId !== undefined && a.identity.participantId !== target.participantId) continue
      actions.push(...this.deleteAllocation(a, 'revoked'))
    }
    return actions
  }

  /** Draining: no new allocations (508); existing ones keep relaying and refreshing. */
  drain(): void {
    this.#draining = true
  }

  /** Takes new allocations again (an operator cancelled a drain). No effect once closed. */
  undrain(): void {
    this.#draining = false
  }

  /** Deletes every allocation; afterwards every packet is dropped. Idempotent. */
  close(): Action[] {
    if (this.#closed) return []
    const actions: Action[] = []
    for (const a of [...this.table.values()]) actions.push(...this.deleteAllocation(a, 'shutdown'))
    this.flush()
    this.#closed = true
    return actions
  }

  allocationById(id: number): Allocation | undefined {
    return this.table.byId(id)
  }

  // ---- ServerCore: used by the handlers ---------------------------------------------

  portPool(family: 4 | 6): PortPool | undefined {
    return this.#pools[family]
  }

  peerSafety(address: string): Verdict {
    return this.#peerSafety(address)
  }

  authenticate(req: Request): AuthOutcome {
    return authenticate(req.msg, this.realm, this.#auth, req.now, req.tuple.client.address)
  }

  authFailure(req: Request, outcome: Extract<AuthOutcome, { ok: false }>): Action[] {
    this.events.emit('auth-failed', outcome.code)
    this.events.emit('request', METHOD_NAMES[req.msg.method] ?? 'unknown', outcome.code)
    return [{ type: 'send-client', tuple: req.tuple, data: errorResponse(this.#responder, req.msg, outcome.code, outcome.withNonce ? { challenge: req.tuple.client.address } : {}) }]
  }

  success(req: Request, attributes: AttributeInput[], key?: Buffer): Action[] {
    this.events.emit('request', METHOD_NAMES[req.msg.method] ?? 'unknown', 200)
    return [{ type: 'send-client', tuple: req.tuple, data: successResponse(this.#responder, req.msg, attributes, key) }]
  }

  failure(req: Request, code: StunErrorCode, key?: Buffer, extra?: AttributeInput[]): Action[] {
    this.events.emit('request', METHOD_NAMES[req.msg.method] ?? 'unknown', code)
    const opts = { ...(key ? { key } : {}), ...(extra ? { extra } : {}) }
    return [{ type: 'send-client', tuple: req.tuple, data: errorResponse(this.#responder, req.msg, code, opts) }]
  }

  newAllocation(req: Request, identity: RelayIdentity, key: Buffer, family: 4 | 6, lifetimeSeconds: number): Allocation {
    const a = new Allocation({
      id: this.#nextId++,
      tuple: req.tuple,
      tupleKey: keptKey(req.tupleKey),
      identity,
      key,
      family,
      allocateTransaction: req.msg.transactionId.toString('hex'),
      expiresAt: req.now + lifetimeSeconds * 1000,
      bandwidth: this.quotas.bandwidthBytesPerSecond,
      now: req.now,
    })
    this.table.add(a)
    return a
  }

  deleteAllocation(a: Allocation, cause: DeleteCause): Action[] {
    if (a.state === 'pending') {
      this.#removeQuietly(a)
      return a.pendingPort ? [{ type: 'close-relay', allocationId: a.id }] : []
    }
    if (!this.table.remove(a)) return []
    if (a.relayed) this.#pools[a.family]?.release(a.relayed.port)
    this.#retire(a)
    this.events.emit('allocation-deleted', a.info(), cause)
    return [{ type: 'close-relay', allocationId: a.id }]
  }

  countDrop(reason: DropReason): Action {
    this.#countDropQuiet(reason)
    return drop(reason)
  }

  unknownRequired(msg: StunMessage): number[] {
    const unknown: number[] = []
    for (const a of msg.attributes) {
      if (isComprehensionRequired(a.type) && !KNOWN_ATTRIBUTES.has(a.type) && !unknown.includes(a.type)) unknown.push(a.type)
    }
    return unknown
  }

  #removeQuietly(a: Allocation): void {
    if (this.table.remove(a) && a.pendingPort) this.#pools[a.family]?.release(a.pendingPort)
  }

  #retire(a: Allocation): void {
    this.#retired.toPeerBytes += a.toPeerBytes; this.#retired.toPeerPackets += a.toPeerPackets
    this.#retired.toClientBytes += a.toClientBytes; this.#retired.toClientPackets += a.toClientPackets
  }

  #countDropQuiet(reason: DropReason): void {
    this.#drops.set(reason, (this.#drops.get(reason) ?? 0) + 1)
  }
}

const METHOD_NAMES: Record<number, string> = {
  [Method.Binding]: 'binding',
  [Method.Allocate]: 'allocate',
  [Method.Refresh]: 'refresh',
  [Method.CreatePermission]: 'create-permission',
  [Method.ChannelBind]: 'channel-bind',
  [Method.Send]: 'send',
}

function isCoded(err: unknown): boolean {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'string'
}

/** An advertised address must be an IP literal of its family, for a family the server relays. */
function checkAdvertised(relay: { 4?: string; 6?: string }, advertised: { 4?: string; 6?: string }): { 4?: string; 6?: string } {
  for (const family of [4, 6] as const) {
    const address = advertised[family]
    if (address === undefined) continue
    const ok = family === 4 ? writeIpv4(address, Buffer.alloc(4), 0) : writeIpv6(address, Buffer.alloc(16), 0)
    if (!ok) throw new RelayError('ERR_RELAY_SETUP', `advertised IPv${family} address "${address}" is not an IPv${family} literal`)
    if (relay[family] === undefined) throw new RelayError('ERR_RELAY_SETUP', `advertised IPv${family} address "${address}" given, but no IPv${family} relay address to map it to`)
  }
  return { ...advertised }
}
