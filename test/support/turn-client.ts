/**
 * The test face of the project's one TURN client (relay/client/turn-client.ts): the same
 * client, opened the way the tests have always written it (`TurnClient.connect`), with
 * a server's error response thrown as `TurnError` carrying the STUN code, and received
 * data queued for `nextData`. No protocol logic lives here.
 */
import dgram from 'node:dgram'

import {
  TurnClient as Client,
  TurnClientError,
} from '../../relay/client/turn-client.js'
import type { AttributeInput, StunMessage, TransportAddress } from '../../relay/proto/index.js'

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

/** An error response from the relay: `code` is the STUN error code (403, 437, 508, …). */
export class TurnError extends Error {
  readonly code: number
  constructor(code: number, cause: TurnClientError) {
    super(`TURN error ${code}`, { cause })
    this.code = code
  }
}

/** The relay's refusal as a TurnError; anything else as it is. */
function rethrow(err: unknown): never {
  if (err instanceof TurnClientError && err.code === 'ERR_TURN_REJECTED' && err.stunCode !== undefined) throw new TurnError(err.stunCode, err)
  throw err
}

export class TurnClient {
  readonly client: Client
  readonly received: Received[] = []
  readonly #waiters: Array<(r: Received) => boolean> = []

  private constructor(client: Client) {
    this.client = client
    client.onChannelData = (channel, frame) => this.#deliver({ channel, data: Buffer.from(frame.subarray(4, 4 + frame.readUInt16BE(2))) })
    client.onDataIndication = (peer, data) => this.#deliver({ peer, data: Buffer.from(data) })
  }

  static async connect(o: TurnClientOptions): Promise<TurnClient> {
    const timeoutMs = o.timeoutMs ?? 2000
    return new TurnClient(await Client.open({
      transport: o.transport,
      server: { host: o.host, port: o.port },
      username: o.username,
      password: o.password,
      ...(o.ca !== undefined ? { ca: o.ca } : {}),
      ...(o.servername !== undefined ? { servername: o.servername } : {}),
      // Tests bind where they say, or on every address as a plain socket would.
      ...(o.localAddress !== undefined ? { localHost: o.localAddress } : o.transport === 'udp' ? { localHost: o.host.includes(':') ? '::' : '0.0.0.0' } : {}),
      // One transmission and one deadline, over every transport: loopback does not lose.
      connectUdp: false,
      rtoMs: timeoutMs,
      maxTransmissions: 1,
      timeoutMs,
      verifyResponses: false,
      requireAllocation: false,
    }))
  }

  get localPort(): number { return this.client.localAddress.port }
  get closedByServer(): boolean { return this.client.closedByServer }
  get relayed(): TransportAddress | undefined { return this.client.relayed }

  /** Sends raw bytes as they are. */
  raw(buf: Buffer): void { this.client.sendRaw(buf) }

  /** Sends a request and resolves with the response (success or error), no retry. */
  exchange(buf: Buffer): Promise<StunMessage> { return this.client.exchange(buf) }

  /** An authenticated request: learns REALM/NONCE from a 401 or 438 and retries. */
  request(method: number, attributes: AttributeInput[] = []): Promise<StunMessage> {
    return this.client.request(method, attributes).catch(rethrow)
  }

  async allocate(extra: AttributeInput[] = []): Promise<{ relayed: TransportAddress; mapped: TransportAddress; lifetime: number }> {
    const r = await this.client.allocate({ attributes: extra }).catch(rethrow)
    return { relayed: r.relayed, mapped: r.mapped!, lifetime: r.lifetime }
  }

  refresh(lifetime?: number): Promise<number> { return this.client.refresh(lifetime).catch(rethrow) }
  createPermission(...peers: TransportAddress[]): Promise<void> { return this.client.createPermission(peers).catch(rethrow) }
  channelBind(channel: number, peer: TransportAddress): Promise<void> { return this.client.channelBind(channel, peer).catch(rethrow) }
  sendIndication(peer: TransportAddress, data: Buffer): void { this.client.sendIndication(peer, data) }
  sendChannelData(channel: number, data: Buffer): void { this.client.sendChannelData(channel, data) }

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

  #deliver(r: Received): void {
    const i = this.#waiters.findIndex((w) => w(r))
    if (i >= 0) this.#waiters.splice(i, 1)
    else this.received.push(r)
  }

  close(): Promise<void> { return this.client.close() }
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
