/**
 * A TURN client over UDP (RFC 8656) built on the relay's own codec, for load generation:
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
 */
import dgram from 'node:dgram'
import { randomBytes } from 'node:crypto'

import { CodedError } from '../geo/coded-error.js'
import { Attr, Method, MessageClass, StunErrorCode, TRANSPORT_UDP } from '../relay/proto/constants.js'
import { decodeMessage, encodeMessage, getAttribute, isStunMessage, type AttributeInput, type StunMessage } from '../relay/proto/message.js'
import { decodeErrorCode } from '../relay/proto/error-code.js'
import { decodeLifetime, encodeLifetime } from '../relay/proto/lifetime.js'
import { encodeRequestedTransport } from '../relay/proto/requested-transport.js'
import { encodeChannelNumber } from '../relay/proto/channel-number.js'
import { decodeNonce, decodeRealm, encodeNonce, encodeRealm, encodeUsername } from '../relay/proto/text-attributes.js'
import { decodeXorAddress, encodeXorAddress, type TransportAddress } from '../relay/proto/xor-address.js'
import { longTermKey, verifyMessageIntegrity } from '../relay/proto/message-integrity.js'
import { CHANNEL_DATA_HEADER_LENGTH, encodeChannelData, isChannelData } from '../relay/proto/channel-data.js'

export type { TransportAddress }

export type TurnClientErrorCode =
  | 'ERR_TURN_TIMEOUT' // no response after every retransmission
  | 'ERR_TURN_REJECTED' // an error response the client does not recover from
  | 'ERR_TURN_BAD_RESPONSE' // a response missing what the RFC requires, or failing integrity
  | 'ERR_TURN_CLOSED' // the client was closed with the request outstanding
  | 'ERR_TURN_STATE' // e.g. channelBind before allocate

export class TurnClientError extends CodedError<TurnClientErrorCode> {
  /** The STUN error code when the server answered with an error response. */
  readonly stunCode: number | undefined
  constructor(code: TurnClientErrorCode, message: string, stunCode?: number) {
    super(code, message)
    this.stunCode = stunCode
  }
}

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

/** Retries a request gets for 401/438 before the error stands. */
const MAX_AUTH_RETRIES = 3

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

  readonly #password: string
  readonly #rtoMs: number
  readonly #maxTransmissions: number
  readonly #verify: boolean
  readonly #pending = new Map<string, Pending>()
  #realm: string | undefined
  #nonce: string | undefined
  #key: Buffer | undefined
  #relayed: TransportAddress | undefined
  #closed = false

  private constructor(socket: dgram.Socket, opts: TurnClientOptions) {
    this.socket = socket
    this.server = opts.server
    this.username = opts.username
    this.#password = opts.password
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
  get realm(): string | undefined { return this.#realm }
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
    const transactionId = randomBytes(12)
    this.socket.send(encodeMessage({
      method: Method.Send,
      cls: MessageClass.Indication,
      transactionId,
      attributes: [
        { type: Attr.XorPeerAddress, value: encodeXorAddress(peer, transactionId) },
        { type: Attr.Data, value: data },
      ],
    }))
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
   * learn them and retry, on 438 take the new NONCE and retry.
   */
  async #authenticatedRequest(method: number, attributes: AttributeInput[], firstTransactionId?: Buffer): Promise<StunMessage> {
    let transactionId = firstTransactionId ?? randomBytes(12)
    let attrs = attributes
    for (let attempt = 0; ; attempt++) {
      const authed = this.#key !== undefined
      const all = authed
        ? [
            ...attrs,
            { type: Attr.Username, value: encodeUsername(this.username) },
            { type: Attr.Realm, value: encodeRealm(this.#realm!) },
            { type: Attr.Nonce, value: encodeNonce(this.#nonce!) },
          ]
        : attrs
      const packet = encodeMessage(
        { method, cls: MessageClass.Request, transactionId, attributes: all },
        authed ? { integrityKey: this.#key!, fingerprint: true } : { fingerprint: true },
      )
      const res = await this.#transact(method, transactionId, packet)
      if (res.cls === MessageClass.SuccessResponse) {
        if (authed && this.#verify && !verifyMessageIntegrity(res, this.#key!)) {
          throw new TurnClientError('ERR_TURN_BAD_RESPONSE', `${methodName(method)} success response fails MESSAGE-INTEGRITY`)
        }
        return res
      }
      const err = errorOf(res)
      const retriable = attempt < MAX_AUTH_RETRIES &&
        (err.code === StunErrorCode.StaleNonce || (err.code === StunErrorCode.Unauthorized && !authed))
      if (!retriable) {
        throw new TurnClientError('ERR_TURN_REJECTED', `${methodName(method)} rejected: ${err.code} ${err.reason}`, err.code)
      }
      const realm = getAttribute(res, Attr.Realm)
      const nonce = getAttribute(res, Attr.Nonce)
      if (!nonce || (!realm && this.#realm === undefined)) {
        throw new TurnClientError('ERR_TURN_BAD_RESPONSE', `${err.code} without NONCE/REALM`, err.code)
      }
      if (err.code === StunErrorCode.Unauthorized) this.stats.challenges++
      else this.stats.staleNonces++
      if (realm) this.#realm = decodeRealm(realm.value)
      this.#nonce = decodeNonce(nonce.value)
      this.#key = longTermKey(this.username, this.#realm!, this.#password)
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
    if (isChannelData(msg)) {
      if (this.onChannelData) this.onChannelData(msg.readUInt16BE(0), msg)
      return
    }
    if (!isStunMessage(msg)) { this.stray++; return }
    const m = decodeMessage(msg)
    if (m.cls === MessageClass.Indication) {
      if (m.method === Method.Data && this.onDataIndication) {
        const peer = getAttribute(m, Attr.XorPeerAddress)
        const data = getAttribute(m, Attr.Data)
        if (peer && data) this.onDataIndication(decodeXorAddress(peer.value, m.transactionId), data.value)
      }
      return
    }
    const key = m.transactionId.toString('latin1')
    const p = this.#pending.get(key)
    if (!p || p.method !== m.method) { this.stray++; return }
    clearTimeout(p.timer)
    this.#pending.delete(key)
    p.resolve(m)
  }

  #failAll(err: Error): void {
    for (const [key, p] of this.#pending) {
      clearTimeout(p.timer)
      this.#pending.delete(key)
      p.reject(err)
    }
  }
}

/**
 * A ChannelData frame of `size` payload bytes on `channel`, for `sendFrame`. The payload
 * starts at offset CHANNEL_DATA_HEADER_LENGTH; callers stamp sequence numbers and
 * timestamps into it in place.
 */
export function channelFrame(channel: number, size: number): Buffer {
  return encodeChannelData(channel, Buffer.alloc(size), { pad: false })
}
export { CHANNEL_DATA_HEADER_LENGTH }

/** base64(HMAC-SHA1(secret, username)) with username `<expiry>:<identity>` (TURN REST API). */
export { turnRestCredential } from './rest-credential.js'

function errorOf(res: StunMessage): { code: number; reason: string } {
  const attr = getAttribute(res, Attr.ErrorCode)
  if (!attr) throw new TurnClientError('ERR_TURN_BAD_RESPONSE', 'error response without ERROR-CODE')
  return decodeErrorCode(attr.value)
}

/** XOR-PEER-ADDRESS values depend on the transaction id (IPv6): re-encode for a new one. */
function reXor(attrs: AttributeInput[], from: Buffer, to: Buffer): AttributeInput[] {
  return attrs.map((a) =>
    a.type === Attr.XorPeerAddress ? { type: a.type, value: encodeXorAddress(decodeXorAddress(a.value, from), to) } : a,
  )
}

const METHOD_NAMES: Record<number, string> = Object.fromEntries(Object.entries(Method).map(([k, v]) => [v, k]))
function methodName(method: number): string {
  return METHOD_NAMES[method] ?? `method 0x${method.toString(16)}`
}
