/**
 * The project's one TURN client over UDP (RFC 8656), built on the relay's own codec; the
 * load generators (loadtest/), the demo's probes (deploy/demo/) and the tests use it:
 * Allocate with the long-term credential mechanism (RFC 8489 §9.2: unauthenticated
 * request → 401 with REALM and NONCE → retry with MESSAGE-INTEGRITY; 438 → retry with the
 * new NONCE), CreatePermission, ChannelBind, Refresh, Send indications and ChannelData.
 *
 * One client is one UDP socket, hence one 5-tuple and at most one allocation at a time
 * (RFC 8656 §2.2). After `release()` a client may allocate again, but servers may hold a
 * released 5-tuple for a while (coturn 4.6 answers 437 right after a release), so the
 * benchmarks open one socket per allocation. Requests are retransmitted with a doubling
 * RTO as RFC 8489 §6.2.1 says for UDP.
 *
 * The per-packet path is `sendFrame()` (a caller-built ChannelData frame, no allocation)
 * and `onChannelData` (a view of the received datagram, no decode object allocated).
 *
 * Only the socket, the pending transactions and the retransmission timers live here; the
 * bytes are built in client-messages.ts, the credential dance is judged in
 * credential-session.ts and received frames are sorted in inbound.ts (all sans-IO).
 */
import dgram from 'node:dgram'
import { randomBytes } from 'node:crypto'

import { Attr, Method, TRANSPORT_UDP } from '../proto/constants.js'
import { getAttribute, type AttributeInput, type StunMessage } from '../proto/message.js'
import { decodeLifetime, encodeLifetime } from '../proto/lifetime.js'
import { encodeRequestedTransport } from '../proto/requested-transport.js'
import { encodeChannelNumber } from '../proto/channel-number.js'
import { decodeXorAddress, encodeXorAddress, type TransportAddress } from '../proto/xor-address.js'
import { CHANNEL_DATA_HEADER_LENGTH } from '../proto/channel-data.js'
import { channelFrame, encodeRequest, encodeSendIndication, reXor } from './client-messages.js'
import { CredentialSession } from './credential-session.js'
import { classifyInbound } from './inbound.js'
import { TurnClientError, type TurnClientErrorCode } from './turn-client-error.js'

export type { TransportAddress }
export { TurnClientError, type TurnClientErrorCode }

export interface TurnClientOptions {
  server: { host: string; port: number }
  username: string
  password: string
  /** Local address to bind (default 127.0.0.1) and port (default 0). */
  localHost?: string
  localPort?: number
  /** RFC 8489 §6.2.1: initial retransmission timeout, doubled each time (default 500 ms). */
  rtoMs?: number
  /** Rc: how many times a request is sent in all (default 7). */
  maxTransmissions?: number
  /** SO_RCVBUF / SO_SNDBUF request; undefined keeps the kernel default. */
  bufferBytes?: number
  /** Check MESSAGE-INTEGRITY of authenticated responses (default true). */
  verifyResponses?: boolean
}

export interface ClientStats {
  requests: number
  retransmissions: number
  challenges: number
  staleNonces: number
}

export interface AllocateResult {
  relayed: TransportAddress
  mapped: TransportAddress | undefined
  lifetime: number
}

interface Pending {
  method: number
  packet: Buffer
  transmissions: number
  rto: number
  timer: NodeJS.Timeout
  resolve: (m: StunMessage) => void
  reject: (e: Error) => void
}

export class TurnClient {
  readonly socket: dgram.Socket
  readonly server: { host: string; port: number }
  readonly username: string
  readonly stats: ClientStats = { requests: 0, retransmissions: 0, challenges: 0, staleNonces: 0 }
  /** Called for every ChannelData datagram: the channel and the whole datagram (payload at offset 4). */
  onChannelData: ((channel: number, frame: Buffer) => void) | undefined
  /** Called for every Data indication. */
  onDataIndication: ((peer: TransportAddress, data: Buffer) => void) | undefined
  /** Datagrams that were neither ChannelData nor a response to a pending request. */
  stray = 0

  readonly #session: CredentialSession
  readonly #rtoMs: number
  readonly #maxTransmissions: number
  readonly #verify: boolean
  readonly #pending = new Map<string, Pending>()
  #relayed: TransportAddress | undefined
  #closed = false

  private constructor(socket: dgram.Socket, opts: TurnClientOptions) {
    this.socket = socket
    this.server = opts.server
    this.username = opts.username
    this.#session = new CredentialSession(opts.username, opts.password)
    this.#rtoMs = opts.rtoMs ?? 500
    this.#maxTransmissions = opts.maxTransmissions ?? 7
    this.#verify = opts.verifyResponses ?? true
    socket.on('message', (msg) => this.#onMessage(msg))
  }

  /** Binds a socket connected to the server (so the kernel filters other senders). */
  static open(opts: TurnClientOptions): Promise<TurnClient> {
    const family = opts.server.host.includes(':') ? 'udp6' : 'udp4'
    const socket = dgram.createSocket({
      type: family,
      ...(opts.bufferBytes !== undefined ? { recvBufferSize: opts.bufferBytes, sendBufferSize: opts.bufferBytes } : {}),
    })
    return new Promise((resolve, reject) => {
      socket.once('error', reject)
      socket.bind(opts.localPort ?? 0, opts.localHost ?? (family === 'udp6' ? '::1' : '127.0.0.1'), () => {
        socket.connect(opts.server.port, opts.server.host, () => {
          socket.off('error', reject)
          const client = new TurnClient(socket, opts)
          socket.on('error', (err) => client.#failAll(err))
          resolve(client)
        })
      })
    })
  }

  get relayed(): TransportAddress | undefined { return this.#relayed }
  get realm(): string | undefined { return this.#session.realm }
  get localAddress(): TransportAddress {
    const a = this.socket.address()
    return { family: a.family === 'IPv6' ? 6 : 4, address: a.address, port: a.port }
  }

  /** RFC 8656 §7.1: Allocate a UDP relayed address, authenticating as needed. */
  async allocate(opts: { lifetime?: number } = {}): Promise<AllocateResult> {
    const attributes: AttributeInput[] = [{ type: Attr.RequestedTransport, value: encodeRequestedTransport(TRANSPORT_UDP) }]
    if (opts.lifetime !== undefined) attributes.push({ type: Attr.Lifetime, value: encodeLifetime(opts.lifetime) })
    const res = await this.#authenticatedRequest(Method.Allocate, attributes)
    const relayedAttr = getAttribute(res, Attr.XorRelayedAddress)
    const lifetimeAttr = getAttribute(res, Attr.Lifetime)
    if (!relayedAttr || !lifetimeAttr) throw new TurnClientError('ERR_TURN_BAD_RESPONSE', 'Allocate success without XOR-RELAYED-ADDRESS or LIFETIME')
    const mappedAttr = getAttribute(res, Attr.XorMappedAddress)
    this.#relayed = decodeXorAddress(relayedAttr.value, res.transactionId)
    return {
      relayed: this.#relayed,
      mapped: mappedAttr ? decodeXorAddress(mappedAttr.value, res.transactionId) : undefined,
      lifetime: decodeLifetime(lifetimeAttr.value),
    }
  }

  /** RFC 8656 §9: install permissions for the peers' IP addresses (ports are ignored). */
  async createPermission(peers: readonly TransportAddress[]): Promise<void> {
    this.#requireAllocation('CreatePermission')
    const transactionId = randomBytes(12)
    await this.#authenticatedRequest(
      Method.CreatePermission,
      peers.map((p) => ({ type: Attr.XorPeerAddress, value: encodeXorAddress(p, transactionId) })),
      transactionId,
    )
  }

  /** RFC 8656 §11: bind `channel` (0x4000–0x7FFF, the RFC 5766 range) to `peer`; also installs its permission. */
  async channelBind(channel: number, peer: TransportAddress): Promise<void> {
    this.#requireAllocation('ChannelBind')
    const transactionId = randomBytes(12)
    await this.#authenticatedRequest(
      Method.ChannelBind,
      [
        { type: Attr.ChannelNumber, value: encodeChannelNumber(channel) },
        { type: Attr.XorPeerAddress, value: encodeXorAddress(peer, transactionId) },
      ],
      transactionId,
    )
  }

  /** RFC 8656 §8: Refresh; lifetime 0 deletes the allocation. Returns the granted lifetime. */
  async refresh(lifetime: number): Promise<number> {
    this.#requireAllocation('Refresh')
    const res = await this.#authenticatedRequest(Method.Refresh, [{ type: Attr.Lifetime, value: encodeLifetime(lifetime) }])
    if (lifetime === 0) this.#relayed = undefined
    const granted = getAttribute(res, Attr.Lifetime)
    return granted ? decodeLifetime(granted.value) : lifetime
  }

  /** Deletes the allocation (Refresh with LIFETIME 0), so this client may allocate again. */
  async release(): Promise<void> {
    await this.refresh(0)
  }

  /** Sends a prepared ChannelData frame (see `channelFrame`). */
  sendFrame(frame: Buffer): void {
    this.socket.send(frame)
  }

  /** RFC 8656 §10.1: a Send indication (the slow path; no response). */
  sendIndication(peer: TransportAddress, data: Buffer): void {
    this.socket.send(encodeSendIndication(peer, data))
  }

  /** Stops retransmitting, fails outstanding requests, closes the socket. Idempotent. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve()
    this.#closed = true
    this.#failAll(new TurnClientError('ERR_TURN_CLOSED', 'client closed'))
    return new Promise((resolve) => this.socket.close(() => resolve()))
  }

  #requireAllocation(what: string): void {
    if (!this.#relayed) throw new TurnClientError('ERR_TURN_STATE', `${what} needs an allocation`)
  }

  /**
   * RFC 8489 §9.2.4/§9.2.5: send with credentials once a REALM/NONCE is known; on 401
   * learn them and retry, on 438 take the new NONCE and retry (the session decides).
   */
  async #authenticatedRequest(method: number, attributes: AttributeInput[], firstTransactionId?: Buffer): Promise<StunMessage> {
    let transactionId = firstTransactionId ?? randomBytes(12)
    let attrs = attributes
    for (let attempt = 0; ; attempt++) {
      const cred = this.#session.credentials()
      const res = await this.#transact(method, transactionId, encodeRequest(method, attrs, transactionId, cred))
      const verdict = this.#session.judge(res, cred, attempt, this.#verify)
      this.stats.challenges = this.#session.challenges
      this.stats.staleNonces = this.#session.staleNonces
      if (verdict.kind === 'accept') return res
      if (verdict.kind === 'rejected') {
        throw new TurnClientError('ERR_TURN_REJECTED', `${methodName(method)} rejected: ${verdict.code} ${verdict.reason}`, verdict.code)
      }
      // A new transaction (new id); XOR-ed attributes must be re-encoded with it.
      const next = randomBytes(12)
      attrs = reXor(attrs, transactionId, next)
      transactionId = next
    }
  }

  #transact(method: number, transactionId: Buffer, packet: Buffer): Promise<StunMessage> {
    if (this.#closed) return Promise.reject(new TurnClientError('ERR_TURN_CLOSED', 'client closed'))
    return new Promise((resolve, reject) => {
      const key = transactionId.toString('latin1')
      const pending: Pending = {
        method,
        packet,
        transmissions: 1,
        rto: this.#rtoMs,
        timer: setTimeout(() => this.#retransmit(key), this.#rtoMs),
        resolve,
        reject,
      }
      this.#pending.set(key, pending)
      this.stats.requests++
      this.socket.send(packet)
    })
  }

  #retransmit(key: string): void {
    const p = this.#pending.get(key)
    if (!p) return
    if (p.transmissions >= this.#maxTransmissions) {
      this.#pending.delete(key)
      p.reject(new TurnClientError('ERR_TURN_TIMEOUT', `${methodName(p.method)}: no response after ${p.transmissions} transmissions`))
      return
    }
    p.transmissions++
    p.rto *= 2
    this.stats.retransmissions++
    p.timer = setTimeout(() => this.#retransmit(key), p.rto)
    this.socket.send(p.packet)
  }

  #onMessage(msg: Buffer): void {
    const inbound = classifyInbound(msg)
    switch (inbound.kind) {
      case 'channel-data':
        if (this.onChannelData) this.onChannelData(inbound.channel, inbound.frame)
        return
      case 'data-indication':
        if (this.onDataIndication) this.onDataIndication(inbound.peer, inbound.data)
        return
      case 'stray':
        this.stray++
        return
      case 'response': {
        const m = inbound.message
        const key = m.transactionId.toString('latin1')
        const p = this.#pending.get(key)
        if (!p || p.method !== m.method) { this.stray++; return }
        clearTimeout(p.timer)
        this.#pending.delete(key)
        p.resolve(m)
      }
    }
  }

  #failAll(err: Error): void {
    for (const [key, p] of this.#pending) {
      clearTimeout(p.timer)
      this.#pending.delete(key)
      p.reject(err)
    }
  }
}

export { CHANNEL_DATA_HEADER_LENGTH, channelFrame }

/** base64(HMAC-SHA1(secret, username)) with username `<expiry>:<identity>` (TURN REST API). */
export { turnRestCredential } from './rest-credential.js'

const METHOD_NAMES: Record<number, string> = Object.fromEntries(Object.entries(Method).map(([k, v]) => [v, k]))
function methodName(method: number): string {
  return METHOD_NAMES[method] ?? `method 0x${method.toString(16)}`
}
