/**
 * A small TURN client over real sockets (UDP or TCP) for end-to-end tests, built on the
 * relay's codec. It does the long-term credential dance (401 → retry with REALM and
 * NONCE, 438 → retry with the new NONCE) and exposes each method and both data paths.
 */
import { randomBytes } from 'node:crypto'
import dgram from 'node:dgram'
import net from 'node:net'
import tls from 'node:tls'

import {
  Attr,
  MessageClass,
  Method,
  StreamFramer,
  decodeChannelData,
  decodeLifetime,
  decodeMessage,
  decodeXorAddress,
  encodeChannelData,
  encodeChannelNumber,
  encodeLifetime,
  encodeRequestedTransport,
  encodeXorAddress,
  getAttribute,
  isChannelData,
  TRANSPORT_UDP,
  type AttributeInput,
  type StunMessage,
  type TransportAddress,
} from '../../relay/proto/index.js'
import { errorCodeOf, indication, request, textOf, type Credentials } from './stun-builder.js'

export interface TurnClientOptions {
  transport: 'udp' | 'tcp' | 'tls'
  /** TLS: the CA (PEM) to check the relay's certificate against, and the name it must carry. */
  ca?: string | Buffer
  servername?: string
  host: string
  port: number
  username: string
  password: string
  /** Local address to bind (e.g. another 127.x so the relay sees a distinct client). */
  localAddress?: string
  timeoutMs?: number
}

export interface Received {
  peer?: TransportAddress
  channel?: number
  data: Buffer
}

export class TurnError extends Error {
  readonly code: number
  readonly response: StunMessage
  constructor(code: number, response: StunMessage) {
    super(`TURN error ${code}`)
    this.code = code
    this.response = response
  }
}

export class TurnClient {
  readonly #o: TurnClientOptions
  readonly #pending = new Map<string, { resolve: (m: StunMessage) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>()
  readonly #waiters: Array<(r: Received) => boolean> = []
  readonly received: Received[] = []
  #udp: dgram.Socket | undefined
  #tcp: net.Socket | undefined
  #realm: string | undefined
  #nonce: string | undefined
  #closed = false
  closedByServer = false
  relayed: TransportAddress | undefined

  private constructor(o: TurnClientOptions) {
    this.#o = o
  }

  static async connect(o: TurnClientOptions): Promise<TurnClient> {
    const c = new TurnClient(o)
    if (o.transport === 'udp') {
      const s = dgram.createSocket(o.host.includes(':') ? 'udp6' : 'udp4')
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject)
        s.bind(0, o.localAddress, () => resolve())
      })
      s.on('message', (m) => c.#onFrame(m))
      c.#udp = s
    } else {
      const s = o.transport === 'tls'
        ? tls.connect({ host: o.host, port: o.port, ca: o.ca, servername: o.servername ?? 'localhost', ...(o.localAddress ? { localAddress: o.localAddress } : {}) })
        : net.connect({ host: o.host, port: o.port, ...(o.localAddress ? { localAddress: o.localAddress } : {}) })
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject)
        s.once(o.transport === 'tls' ? 'secureConnect' : 'connect', () => resolve())
      })
      const framer = new StreamFramer()
      s.on('data', (chunk: Buffer) => {
        for (const f of framer.push(chunk)) c.#onFrame(f)
      })
      s.on('close', () => {
        c.closedByServer = !c.#closed
      })
      s.on('error', () => {}) // a reset shows as close; tests assert on closedByServer
      c.#tcp = s
    }
    return c
  }

  get localPort(): number {
    return this.#udp ? this.#udp.address().port : this.#tcp!.localPort!
  }

  /** Sends raw bytes as they are. */
  raw(buf: Buffer): void {
    if (this.#udp) this.#udp.send(buf, this.#o.port, this.#o.host)
    else this.#tcp!.write(buf)
  }

  /** Sends a request and resolves with the response (success or error), no retry. */
  exchange(buf: Buffer): Promise<StunMessage> {
    const msg = decodeMessage(buf)
    const id = msg.transactionId.toString('hex')
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id)
        reject(new Error(`no response to ${msg.method} within ${this.#o.timeoutMs ?? 2000} ms`))
      }, this.#o.timeoutMs ?? 2000)
      this.#pending.set(id, { resolve, reject, timer })
      this.raw(buf)
    })
  }

  credentials(): Credentials | undefined {
    if (this.#realm === undefined || this.#nonce === undefined) return undefined
    return { username: this.#o.username, password: this.#o.password, realm: this.#realm, nonce: this.#nonce }
  }

  /** An authenticated request: learns REALM/NONCE from a 401 or 438 and retries once each. */
  async request(method: number, attributes: AttributeInput[] = [], txn?: () => Buffer): Promise<StunMessage> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const res = await this.exchange(request(method, attributes, this.credentials(), txn?.()))
      const code = errorCodeOf(res)
      if (code === 401 || code === 438) {
        const realm = textOf(res, Attr.Realm)
        const nonce = textOf(res, Attr.Nonce)
        const fresh = this.#realm === undefined || code === 438
        this.#realm = realm
        this.#nonce = nonce
        if (fresh) continue
      }
      if (code !== 0) throw new TurnError(code, res)
      return res
    }
    throw new Error('authentication did not converge')
  }

  async allocate(extra: AttributeInput[] = []): Promise<{ relayed: TransportAddress; mapped: TransportAddress; lifetime: number }> {
    const res = await this.request(Method.Allocate, [{ type: Attr.RequestedTransport, value: encodeRequestedTransport(TRANSPORT_UDP) }, ...extra])
    this.relayed = decodeXorAddress(getAttribute(res, Attr.XorRelayedAddress)!.value, res.transactionId)
    return {
      relayed: this.relayed,
      mapped: decodeXorAddress(getAttribute(res, Attr.XorMappedAddress)!.value, res.transactionId),
      lifetime: decodeLifetime(getAttribute(res, Attr.Lifetime)!.value),
    }
  }

  async refresh(lifetime?: number): Promise<number> {
    const res = await this.request(Method.Refresh, lifetime === undefined ? [] : [{ type: Attr.Lifetime, value: encodeLifetime(lifetime) }])
    return decodeLifetime(getAttribute(res, Attr.Lifetime)!.value)
  }

  async createPermission(...peers: TransportAddress[]): Promise<void> {
    const txn = randomBytes(12)
    await this.request(Method.CreatePermission, peers.map((p) => ({ type: Attr.XorPeerAddress, value: encodeXorAddress(p, txn) })), () => txn)
  }

  async channelBind(channel: number, peer: TransportAddress): Promise<void> {
    const txn = randomBytes(12)
    await this.request(Method.ChannelBind, [
      { type: Attr.ChannelNumber, value: encodeChannelNumber(channel) },
      { type: Attr.XorPeerAddress, value: encodeXorAddress(peer, txn) },
    ], () => txn)
  }

  sendIndication(peer: TransportAddress, data: Buffer): void {
    const txn = randomBytes(12)
    this.raw(indication(Method.Send, [{ type: Attr.XorPeerAddress, value: encodeXorAddress(peer, txn) }, { type: Attr.Data, value: data }], txn))
  }

  sendChannelData(channel: number, data: Buffer): void {
    this.raw(encodeChannelData(channel, data, { pad: this.#o.transport !== 'udp' }))
  }

  /** Resolves with the next received data matching `match` (already received counts). */
  nextData(match: (r: Received) => boolean = () => true, timeoutMs = 2000): Promise<Received> {
    const seen = this.received.find(match)
    if (seen) {
      this.received.splice(this.received.indexOf(seen), 1)
      return Promise.resolve(seen)
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no data in time')), timeoutMs)
      this.#waiters.push((r) => {
        if (!match(r)) return false
        clearTimeout(timer)
        resolve(r)
        return true
      })
    })
  }

  #onFrame(buf: Buffer): void {
    if (isChannelData(buf)) {
      const { channel, data } = decodeChannelData(buf)
      return this.#deliver({ channel, data: Buffer.from(data) })
    }
    const msg = decodeMessage(buf)
    if (msg.cls === MessageClass.Indication && msg.method === Method.Data) {
      const peer = decodeXorAddress(getAttribute(msg, Attr.XorPeerAddress)!.value, msg.transactionId)
      return this.#deliver({ peer, data: Buffer.from(getAttribute(msg, Attr.Data)!.value) })
    }
    const id = msg.transactionId.toString('hex')
    const p = this.#pending.get(id)
    if (p) {
      this.#pending.delete(id)
      clearTimeout(p.timer)
      p.resolve(msg)
    }
  }

  #deliver(r: Received): void {
    const i = this.#waiters.findIndex((w) => w(r))
    if (i >= 0) this.#waiters.splice(i, 1)
    else this.received.push(r)
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer)
      p.reject(new Error('client closed'))
    }
    this.#pending.clear()
    if (this.#udp) await new Promise<void>((resolve) => this.#udp!.close(() => resolve()))
    if (this.#tcp) {
      this.#tcp.destroy()
    }
  }
}

/** A UDP echo peer on a loopback address: sends back every datagram to its sender. */
export async function echoPeer(host = '127.0.0.2'): Promise<{ address: TransportAddress; received: number; close(): Promise<void> }> {
  const s = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4')
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject)
    s.bind(0, host, () => resolve())
  })
  const peer = { address: { family: (host.includes(':') ? 6 : 4) as 4 | 6, address: host, port: s.address().port }, received: 0, close: () => new Promise<void>((resolve) => s.close(() => resolve())) }
  s.on('message', (m, r) => {
    peer.received++
    s.send(m, r.port, r.address)
  })
  return peer
}
