/**
 * The project's one TURN client (RFC 8656), built on the relay's own codec; the load
 * generators (loadtest/), the demo's probes (deploy/demo/), the image check and the tests
 * use it. Allocate with the long-term credential mechanism (RFC 8489 §9.2: unauthenticated
 * request → 401 with REALM and NONCE → retry with MESSAGE-INTEGRITY; 438 → retry with the
 * new NONCE), CreatePermission, ChannelBind, Refresh, Send indications and ChannelData,
 * over UDP, TCP or TLS (RFC 8656 §3.1).
 *
 * One client is one socket, hence one 5-tuple and at most one allocation at a time
 * (RFC 8656 §2.2). After `release()` a client may allocate again, but servers may hold a
 * released 5-tuple for a while (coturn 4.6 answers 437 right after a release), so the
 * benchmarks open one socket per allocation. Over UDP, requests are retransmitted with a
 * doubling RTO as RFC 8489 §6.2.1 says; over TCP/TLS they are sent once and time out
 * after Ti (RFC 8489 §6.2.2).
 *
 * The per-packet path is `sendFrame()` (a caller-built ChannelData frame, no allocation)
 * and `onChannelData` (a view of the received frame, no decode object allocated).
 *
 * Only the socket, the pending transactions and the retransmission timers live here; the
 * bytes are built in client-messages.ts, the credential dance is judged in
 * credential-session.ts and received frames are sorted in inbound.ts (all sans-IO).
 */
import dgram from 'node:dgram'
import net from 'node:net'
import tls from 'node:tls'
import { randomBytes } from 'node:crypto'

import { Attr, Method, TRANSPORT_UDP } from '../proto/constants.js'
import { decodeMessage, getAttribute, type AttributeInput, type StunMessage } from '../proto/message.js'
import { decodeLifetime, encodeLifetime } from '../proto/lifetime.js'
import { encodeRequestedTransport } from '../proto/requested-transport.js'
import { encodeChannelNumber } from '../proto/channel-number.js'
import { decodeXorAddress, encodeXorAddress, type TransportAddress } from '../proto/xor-address.js'
import { CHANNEL_DATA_HEADER_LENGTH, encodeChannelData } from '../proto/channel-data.js'
import { StreamFramer } from '../proto/stream-framer.js'
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
  /** RFC 8656 §3.1: how the client reaches the server (default udp). */
  transport?: 'udp' | 'tcp' | 'tls'
  /** TLS: the CA (PEM) to check the server's certificate against, and the name it must carry (default localhost). */
  ca?: string | Buffer
  servername?: string
  /** Local address to bind (UDP default 127.0.0.1 or ::1; TCP/TLS default: the kernel's choice) and port (default 0). */
  localHost?: string
  localPort?: number
  /**
   * UDP: connect the socket to the server (default true) so the kernel filters other
   * senders; false sends each datagram to the server unconnected, so an ICMP unreachable
   * shows as a timeout rather than a socket error.
   */
  connectUdp?: boolean
  /** UDP, RFC 8489 §6.2.1: initial retransmission timeout, doubled each time (default 500 ms). */
  rtoMs?: number
  /** UDP, Rc: how many times a request is sent in all (default 7). */
  maxTransmissions?: number
  /** TCP/TLS, RFC 8489 §6.2.2 Ti: how long a request waits for its response (default 39 500 ms). */
  timeoutMs?: number
  /** SO_RCVBUF / SO_SNDBUF request (UDP); undefined keeps the kernel default. */
  bufferBytes?: number
  /** Check MESSAGE-INTEGRITY of authenticated responses (default true). */
  verifyResponses?: boolean
  /**
   * Refuse CreatePermission, ChannelBind and Refresh locally before an allocation
   * (default true); false sends them anyway, to see what the server answers.
   */
  requireAllocation?: boolean
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

export interface AllocateOptions {
  lifetime?: number
  /** More attributes for the request (e.g. REQUESTED-ADDRESS-FAMILY, EVEN-PORT). */
  attributes?: readonly AttributeInput[]
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

/** RFC 8489 §6.2.2: Ti, the reliable-transport transaction timeout. */
const STREAM_TIMEOUT_MS = 39_500

export class TurnClient {
  readonly server: { host: string; port: number }
  readonly username: string
  readonly transport: 'udp' | 'tcp' | 'tls'
  readonly stats: ClientStats = { requests: 0, retransmissions: 0, challenges: 0, staleNonces: 0 }
  /** Called for every ChannelData frame: the channel and the whole frame (payload at offset 4). */
  onChannelData: ((channel: number, frame: Buffer) => void) | undefined
  /** Called for every Data indication. */
  onDataIndication: ((peer: TransportAddress, data: Buffer) => void) | undefined
  /** Frames that were neither ChannelData, a Data indication nor a response to a pending request. */
  stray = 0
  /** TCP/TLS: the server closed (or reset) the connection before `close()`. */
  closedByServer = false

  readonly #udp: dgram.Socket | undefined
  readonly #stream: net.Socket | undefined
  readonly #connected: boolean
  readonly #session: CredentialSession
  readonly #rtoMs: number
  readonly #maxTransmissions: number
  readonly #verify: boolean
  readonly #requireAllocation: boolean
  readonly #pending = new Map<string, Pending>()
  #relayed: TransportAddress | undefined
  #closed = false

  private constructor(socket: { udp: dgram.Socket; connected: boolean } | { stream: net.Socket }, opts: TurnClientOptions) {
    this.server = opts.server
    this.username = opts.username
    this.transport = opts.transport ?? 'udp'
    this.#session = new CredentialSession(opts.username, opts.password)
    this.#verify = opts.verifyResponses ?? true
    this.#requireAllocation = opts.requireAllocation ?? true
    if ('udp' in socket) {
      this.#udp = socket.udp
      this.#connected = socket.connected
      this.#rtoMs = opts.rtoMs ?? 500
      this.#maxTransmissions = opts.maxTransmissions ?? 7
      socket.udp.on('message', (msg) => this.#onFrame(msg))
      socket.udp.on('error', (err) => this.#failAll(err))
    } else {
      const stream = socket.stream
      this.#stream = stream
      this.#connected = true
      // Reliable transports: one transmission, then wait Ti (RFC 8489 §6.2.2).
      this.#rtoMs = opts.timeoutMs ?? STREAM_TIMEOUT_MS
      this.#maxTransmissions = 1
      const framer = new StreamFramer()
      stream.on('data', (chunk: Buffer) => {
        let frames: Buffer[]
        try {
          frames = [...framer.push(chunk)]
        } catch {
          // RFC 8656 §12.1: the stream cannot be re-synchronised after a bad frame.
          stream.destroy()
          return
        }
        for (const f of frames) this.#onFrame(f)
      })
      stream.on('close', () => {
        this.closedByServer = !this.#closed
        this.#failAll(new TurnClientError('ERR_TURN_CLOSED', 'the server closed the connection'))
      })
      stream.on('error', () => {}) // a reset shows as 'close', which the line above handles
    }
  }

  /** Opens the socket: UDP bound (and by default connected to the server), or a TCP/TLS connection. */
  static open(opts: TurnClientOptions): Promise<TurnClient> {
    const transport = opts.transport ?? 'udp'
    if (transport === 'udp') return TurnClient.#openUdp(opts)
    const local = {
      ...(opts.localHost !== undefined ? { localAddress: opts.localHost } : {}),
      ...(opts.localPort !== undefined ? { localPort: opts.localPort } : {}),
    }
    const stream = transport === 'tls'
      ? tls.connect({ host: opts.server.host, port: opts.server.port, ca: opts.ca, servername: opts.servername ?? 'localhost', ...local })
      : net.connect({ host: opts.server.host, port: opts.server.port, ...local })
    return new Promise((resolve, reject) => {
      stream.once('error', reject)
      stream.once(transport === 'tls' ? 'secureConnect' : 'connect', () => {
        stream.off('error', reject)
        resolve(new TurnClient({ stream }, opts))
      })
    })
  }

  static #openUdp(opts: TurnClientOptions): Promise<TurnClient> {
    const family = opts.server.host.includes(':') ? 'udp6' : 'udp4'
    const socket = dgram.createSocket({
      type: family,
      ...(opts.bufferBytes !== undefined ? { recvBufferSize: opts.bufferBytes, sendBufferSize: opts.bufferBytes } : {}),
    })
    const connect = opts.connectUdp ?? true
    return new Promise((resolve, reject) => {
      socket.once('error', reject)
      socket.bind(opts.localPort ?? 0, opts.localHost ?? (family === 'udp6' ? '::1' : '127.0.0.1'), () => {
        const done = (): void => {
          socket.off('error', reject)
          resolve(new TurnClient({ udp: socket, connected: connect }, opts))
        }
        if (connect) socket.connect(opts.server.port, opts.server.host, done)
        else done()
      })
    })
  }

  get relayed(): TransportAddress | undefined { return this.#relayed }
  get realm(): string | undefined { return this.#session.realm }
  get localAddress(): TransportAddress {
    if (this.#udp) {
      const a = this.#udp.address()
      return { family: a.family === 'IPv6' ? 6 : 4, address: a.address, port: a.port }
    }
    const s = this.#stream!
    return { family: s.localFamily === 'IPv6' ? 6 : 4, address: s.localAddress!, port: s.localPort! }
  }

  /** RFC 8656 §7.1: Allocate a UDP relayed address, authenticating as needed. */
  async allocate(opts: AllocateOptions = {}): Promise<AllocateResult> {
    const attributes: AttributeInput[] = [{ type: Attr.RequestedTransport, value: encodeRequestedTransport(TRANSPORT_UDP) }]
    if (opts.lifetime !== undefined) attributes.push({ type: Attr.Lifetime, value: encodeLifetime(opts.lifetime) })
    if (opts.attributes) attributes.push(...opts.attributes)
    const res = await this.request(Method.Allocate, attributes)
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
    this.#checkAllocation('CreatePermission')
    const transactionId = randomBytes(12)
    await this.request(
      Method.CreatePermission,
      peers.map((p) => ({ type: Attr.XorPeerAddress, value: encodeXorAddress(p, transactionId) })),
      transactionId,
    )
  }

  /** RFC 8656 §11: bind `channel` (0x4000–0x7FFF, the RFC 5766 range) to `peer`; also installs its permission. */
  async channelBind(channel: number, peer: TransportAddress): Promise<void> {
    this.#checkAllocation('ChannelBind')
    const transactionId = randomBytes(12)
    await this.request(
      Method.ChannelBind,
      [
        { type: Attr.ChannelNumber, value: encodeChannelNumber(channel) },
        { type: Attr.XorPeerAddress, value: encodeXorAddress(peer, transactionId) },
      ],
      transactionId,
    )
  }

  /**
   * RFC 8656 §8: Refresh; lifetime 0 deletes the allocation, no lifetime asks for the
   * server's default. Returns the granted lifetime.
   */
  async refresh(lifetime?: number): Promise<number> {
    this.#checkAllocation('Refresh')
    const res = await this.request(Method.Refresh, lifetime === undefined ? [] : [{ type: Attr.Lifetime, value: encodeLifetime(lifetime) }])
    if (lifetime === 0) this.#relayed = undefined
    const granted = getAttribute(res, Attr.Lifetime)
    if (granted) return decodeLifetime(granted.value)
    if (lifetime === undefined) throw new TurnClientError('ERR_TURN_BAD_RESPONSE', 'Refresh success without LIFETIME')
    return lifetime
  }

  /** Deletes the allocation (Refresh with LIFETIME 0), so this client may allocate again. */
  async release(): Promise<void> {
    await this.refresh(0)
  }

  /** Sends a prepared ChannelData frame (see `channelFrame`; over TCP/TLS it must be padded). */
  sendFrame(frame: Buffer): void {
    this.sendRaw(frame)
  }

  /** RFC 8656 §12: ChannelData on `channel`, padded to 4 bytes over TCP/TLS (§12.5). */
  sendChannelData(channel: number, data: Buffer): void {
    this.sendRaw(encodeChannelData(channel, data, { pad: this.transport !== 'udp' }))
  }

  /** RFC 8656 §10.1: a Send indication (the slow path; no response). */
  sendIndication(peer: TransportAddress, data: Buffer): void {
    this.sendRaw(encodeSendIndication(peer, data))
  }

  /** Sends bytes as they are (a test's malformed packet, a caller-built message). */
  sendRaw(buf: Buffer): void {
    if (this.#closed) return
    if (this.#stream) this.#stream.write(buf)
    else if (this.#connected) this.#udp!.send(buf)
    else this.#udp!.send(buf, this.server.port, this.server.host)
  }

  /**
   * One transaction of a caller-built request (no authentication, no retry on 401/438):
   * resolves with the response, success or error.
   */
  exchange(packet: Buffer): Promise<StunMessage> {
    const msg = decodeMessage(packet)
    return this.#transact(msg.method, msg.transactionId, packet)
  }

  /**
   * RFC 8489 §9.2.4/§9.2.5: an authenticated request. Sent with credentials once a
   * REALM/NONCE is known; on 401 learn them and retry, on 438 take the new NONCE and
   * retry (the session decides). Error responses that stand reject with ERR_TURN_REJECTED.
   */
  async request(method: number, attributes: readonly AttributeInput[] = [], firstTransactionId?: Buffer): Promise<StunMessage> {
    let transactionId = firstTransactionId ?? randomBytes(12)
    let attrs = [...attributes]
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

  /** Stops retransmitting, fails outstanding requests, closes the socket. Idempotent. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve()
    this.#closed = true
    this.#failAll(new TurnClientError('ERR_TURN_CLOSED', 'client closed'))
    if (this.#stream) {
      this.#stream.destroy()
      return Promise.resolve()
    }
    return new Promise((resolve) => this.#udp!.close(() => resolve()))
  }

  #checkAllocation(what: string): void {
    if (this.#requireAllocation && !this.#relayed) throw new TurnClientError('ERR_TURN_STATE', `${what} needs an allocation`)
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
      this.sendRaw(packet)
    })
  }

  #retransmit(key: string): void {
    const p = this.#pending.get(key)
    if (!p) return
    if (p.transmissions >= this.#maxTransmissions) {
      this.#pending.delete(key)
      p.reject(new TurnClientError('ERR_TURN_TIMEOUT', `${methodName(p.method)}: no response after ${p.transmissions} transmission(s)`))
      return
    }
    p.transmissions++
    p.rto *= 2
    this.stats.retransmissions++
    p.timer = setTimeout(() => this.#retransmit(key), p.rto)
    this.sendRaw(p.packet)
  }

  #onFrame(frame: Buffer): void {
    const inbound = classifyInbound(frame)
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
