/**
 * The only code of the relay that touches sockets. It runs the sans-IO TurnServer:
 * UDP and TCP listeners (RFC 8656 §3.1: TURN over UDP and TCP, framed per RFC 8489
 * §6.2.2 / RFC 8656 §12.5 by relay/proto's StreamFramer), one relayed UDP socket per
 * allocation, and one timer driven by the server's `schedule` actions.
 *
 * TURN over TLS (RFC 8656 §3.1, the `turns:` URI of RFC 7065) is TLS-over-TCP on listeners
 * of its own: once the handshake is done a TLS connection is handled exactly as a TCP one
 * (its five-tuple's transport is TCP; the allocation relays over UDP all the same).
 *
 * Per-packet path: ChannelData from a client is looked up by listener → port → address
 * (no string built), routed by channel number on the allocation, and sent with
 * `send(buf, offset, length)` from the same buffer; a peer datagram is framed once and
 * written to the client. Counters are plain integers batched by the server.
 */
import dgram from 'node:dgram'
import net from 'node:net'
import tls from 'node:tls'

import { RelayError, StunDecodeError } from '../errors.js'
import { StreamFramer } from '../proto/stream-framer.js'
import { listenerKey, type Action, type Allocation, type FiveTuple, type TransportAddress, type TurnServer } from '../server/index.js'
import { fiveTupleKey } from '../server/five-tuple.js'
import type { HostPort } from './host-port.js'
import { literalLookupOption as lookup } from './literal-lookup.js'
import { Scheduler } from './scheduler.js'

export interface SocketLayerOptions {
  server: TurnServer
  /** Each address gets a UDP and a TCP listener on the same port (port 0: one free port for both). */
  listen: readonly HostPort[]
  tcp?: boolean
  /** TURN over TLS: listeners of their own, with a certificate chain and key (PEM). */
  tls?: TlsListenOptions
  /** SO_RCVBUF/SO_SNDBUF of the listeners (the kernel caps them at net.core.*mem_max). */
  listenerBufferBytes?: number
  relayBufferBytes?: number
  maxTcpConnections?: number
  /** A TCP client whose unsent bytes exceed this gets packets dropped, not queued. */
  maxTcpQueuedBytes?: number
  /** A TCP connection that has not allocated within this time is closed. */
  tcpIdleMs?: number
  /** Unexpected failures (bugs, not bad input): logged by the caller; the process keeps running. */
  onError?: (err: unknown, where: string) => void
  /**
   * SO_REUSEPORT on the UDP, TCP and TLS listeners (Node ≥ 22.12), so several relay
   * processes of one user bind the same port and the kernel spreads clients over them by
   * their 5-tuple: a client's packets keep reaching the process holding its allocation.
   * Off by default: a port 0 listener must never land on a port another process shares.
   */
  reusePort?: boolean
}

export interface TlsListenOptions {
  readonly listen: readonly HostPort[]
  readonly cert: string | Buffer
  readonly key: string | Buffer
  /** A connection that has not finished its handshake within this time is dropped. Default 10 s. */
  readonly handshakeTimeoutMs?: number
}

export interface ListenAddress {
  transport: 'udp' | 'tcp' | 'tls'
  host: string
  port: number
  family: 4 | 6
}

interface UdpListener {
  socket: dgram.Socket
  address: TransportAddress
  key: string
}

interface TcpConnection {
  socket: net.Socket
  tuple: FiveTuple
  key: string
}

interface RelaySocket {
  socket: dgram.Socket
  /** Set once bind() completed; before that, closing is left to the bind callback. */
  bound: boolean
  closed: boolean
}

export interface SocketStats {
  tcpConnections: number
  relaySockets: number
  tcpClosedForGarbage: number
  tcpDroppedBackpressure: number
  /** TLS handshakes that failed (bad client hello, unknown CA on the client's side, timeout). */
  tlsHandshakeFailures: number
  socketErrors: number
}

export class SocketLayer {
  readonly server: TurnServer
  readonly addresses: ListenAddress[] = []
  readonly stats: SocketStats = { tcpConnections: 0, relaySockets: 0, tcpClosedForGarbage: 0, tcpDroppedBackpressure: 0, tlsHandshakeFailures: 0, socketErrors: 0 }
  readonly #o: SocketLayerOptions
  readonly #udp = new Map<string, UdpListener>()
  readonly #tcpServers: net.Server[] = []
  readonly #tlsServers: tls.Server[] = []
  /** TCP sockets of the TLS listeners, handshaking or not: closed with the layer. */
  readonly #tlsSockets = new Set<net.Socket>()
  readonly #tcp = new Map<string, TcpConnection>()
  readonly #relays = new Map<number, RelaySocket>()
  readonly #scheduler: Scheduler
  readonly #onError: (err: unknown, where: string) => void
  #closed = false

  private constructor(o: SocketLayerOptions) {
    this.#o = o
    this.server = o.server
    this.#onError = o.onError ?? ((err, where) => console.error(`relay: unexpected error in ${where}:`, err))
    this.#scheduler = new Scheduler(() => this.execute(this.server.tick()), this.server.now)
  }

  static async start(o: SocketLayerOptions): Promise<SocketLayer> {
    const layer = new SocketLayer(o)
    try {
      for (const hp of o.listen) await layer.#listen(hp)
      for (const hp of o.tls?.listen ?? []) await layer.#listenTls(hp, o.tls!)
    } catch (err) {
      await layer.close()
      throw err
    }
    layer.execute(layer.server.tick())
    return layer
  }

  // ---- listeners ---------------------------------------------------------------------

  async #listen(hp: HostPort): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const udp = await this.#bindUdp(hp)
      if (this.#o.tcp === false) return
      try {
        await this.#listenTcp({ ...hp, port: udp.address.port })
        return
      } catch (err) {
        // Port 0 gave a UDP port whose TCP twin is taken: try another pair.
        if (hp.port === 0 && (err as NodeJS.ErrnoException).code === 'EADDRINUSE' && attempt < 10) {
          this.#udp.delete(udp.key)
          this.addresses.pop()
          udp.socket.close()
          continue
        }
        throw err
      }
    }
  }

  #bindUdp(hp: HostPort): Promise<UdpListener> {
    const size = this.#o.listenerBufferBytes ?? 4 * 1024 * 1024
    const socket = dgram.createSocket({ type: hp.family === 6 ? 'udp6' : 'udp4', ipv6Only: hp.family === 6, recvBufferSize: size, sendBufferSize: size, lookup, reusePort: this.#o.reusePort === true })
    return new Promise((resolve, reject) => {
      socket.once('error', reject)
      socket.bind(hp.port, hp.host, () => {
        socket.off('error', reject)
        socket.on('error', (err) => this.#socketError(err, 'udp listener'))
        const bound = socket.address()
        const address: TransportAddress = { family: hp.family, address: hp.host, port: bound.port }
        const l: UdpListener = { socket, address, key: listenerKey('udp', address) }
        this.#udp.set(l.key, l)
        this.addresses.push({ transport: 'udp', host: hp.host, port: bound.port, family: hp.family })
        socket.on('message', (msg, rinfo) => this.#onUdp(l, msg, rinfo))
        resolve(l)
      })
    })
  }

  #onUdp(l: UdpListener, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const first = msg[0]
    if (first !== undefined && (first & 0xc0) === 0x40) {
      const a = this.server.table.byClient(l.key, rinfo.port, rinfo.address)
      if (a !== undefined && a.state === 'active') return this.#channelData(a, msg)
    }
    const tuple: FiveTuple = {
      transport: 'udp',
      client: { family: rinfo.family === 'IPv6' ? 6 : 4, address: rinfo.address, port: rinfo.port },
      server: l.address,
    }
    this.#dispatch(tuple, msg)
  }

  /** The ChannelData fast path: route, then send bytes [4, 4+length) of the same buffer. */
  #channelData(a: Allocation, msg: Buffer): void {
    const binding = this.server.channelDataFromClient(a, msg)
    if (typeof binding === 'string') return
    const relay = this.#relays.get(a.id)
    if (relay && !relay.closed) relay.socket.send(msg, 4, msg.readUInt16BE(2), binding.peer.port, binding.peer.address)
  }

  #listenTcp(hp: HostPort): Promise<void> {
    const server = net.createServer({ noDelay: true })
    server.maxConnections = this.#o.maxTcpConnections ?? 10_000
    const address: TransportAddress = { family: hp.family, address: hp.host, port: hp.port }
    const lk = listenerKey('tcp', address)
    server.on('connection', (socket) => this.#onTcpConnection(socket, address, lk))
    return new Promise((resolve, reject) => {
      server.once('error', reject)
      server.listen({ port: hp.port, host: hp.host, ipv6Only: hp.family === 6, reusePort: this.#o.reusePort === true }, () => {
        server.off('error', reject)
        server.on('error', (err) => this.#socketError(err, 'tcp listener'))
        this.#tcpServers.push(server)
        this.addresses.push({ transport: 'tcp', host: hp.host, port: hp.port, family: hp.family })
        resolve()
      })
    })
  }

  #listenTls(hp: HostPort, o: TlsListenOptions): Promise<void> {
    // No TLS below 1.2 (BCP 195, RFC 7525).
    const server = usableTls(() => tls.createServer({ cert: o.cert, key: o.key, minVersion: 'TLSv1.2', handshakeTimeout: o.handshakeTimeoutMs ?? 10_000 }))
    server.maxConnections = this.#o.maxTcpConnections ?? 10_000
    const address: TransportAddress = { family: hp.family, address: hp.host, port: hp.port }
    server.on('connection', (raw: net.Socket) => {
      this.#tlsSockets.add(raw)
      raw.once('close', () => this.#tlsSockets.delete(raw))
    })
    server.on('tlsClientError', (_err, socket) => {
      this.stats.tlsHandshakeFailures++
      socket.destroy()
    })
    return new Promise((resolve, reject) => {
      server.once('error', reject)
      server.listen({ port: hp.port, host: hp.host, ipv6Only: hp.family === 6, reusePort: this.#o.reusePort === true }, () => {
        server.off('error', reject)
        server.on('error', (err) => this.#socketError(err, 'tls listener'))
        const bound = { ...address, port: (server.address() as net.AddressInfo).port }
        server.on('secureConnection', (socket) => this.#onTcpConnection(socket, bound, listenerKey('tcp', bound)))
        this.#tlsServers.push(server)
        this.addresses.push({ transport: 'tls', host: hp.host, port: bound.port, family: hp.family })
        resolve()
      })
    })
  }

  /** A renewed certificate: new TLS connections present it, established ones keep theirs. */
  setTlsCertificate(cert: string | Buffer, key: string | Buffer): void {
    const options = { cert, key, minVersion: 'TLSv1.2' as const }
    // Checked once before any listener takes it: a bad pair leaves every listener as it was.
    usableTls(() => tls.createSecureContext(options))
    for (const server of this.#tlsServers) server.setSecureContext(options)
  }

  #onTcpConnection(socket: net.Socket, server: TransportAddress, lk: string): void {
    if (this.#closed || socket.remoteAddress === undefined || socket.remotePort === undefined) {
      socket.destroy()
      return
    }
    const tuple: FiveTuple = {
      transport: 'tcp',
      client: { family: socket.remoteFamily === 'IPv6' ? 6 : 4, address: socket.remoteAddress, port: socket.remotePort },
      server,
    }
    const conn: TcpConnection = { socket, tuple, key: fiveTupleKey(tuple) }
    this.#tcp.set(conn.key, conn)
    this.stats.tcpConnections++
    // RFC 8489 §6.2.2 gives the largest message; a frame can never need more than that.
    // RFC 8656 §5: a client opens a TCP connection with a STUN request (ChannelData needs a
    // bound channel first), so anything else first — an HTTP probe, say — is refused at once.
    const framer = new StreamFramer({ requireStunFirst: true })
    const idleMs = this.#o.tcpIdleMs ?? 60_000
    socket.setTimeout(idleMs, () => {
      // Idle connections without an allocation are closed (slowloris); with one, the
      // allocation's own lifetime governs.
      if (!this.server.table.byTuple(conn.key)) socket.destroy()
    })
    socket.on('data', (chunk: Buffer) => {
      let frames: Buffer[]
      try {
        frames = framer.push(chunk)
      } catch (err) {
        if (!(err instanceof StunDecodeError)) throw err
        // A stream cannot be resynchronised after garbage: close it (RFC 8656 §12.5 framing).
        this.stats.tcpClosedForGarbage++
        socket.destroy()
        return
      }
      for (const frame of frames) {
        const first = frame[0]!
        if ((first & 0xc0) === 0x40) {
          const a = this.server.table.byClient(lk, tuple.client.port, tuple.client.address)
          if (a !== undefined && a.state === 'active') {
            this.#channelData(a, frame)
            continue
          }
        }
        this.#dispatch(tuple, frame)
      }
    })
    socket.on('error', (err) => this.#socketError(err, 'tcp connection', true))
    socket.on('close', () => {
      this.#tcp.delete(conn.key)
      this.stats.tcpConnections--
      this.execute(this.server.clientClosed(tuple))
    })
  }

  #dispatch(tuple: FiveTuple, data: Buffer): void {
    let result: Action[] | Promise<Action[]>
    try {
      result = this.server.handleClientPacket(tuple, data)
    } catch (err) {
      this.#onError(err, 'handleClientPacket')
      return
    }
    if (Array.isArray(result)) this.execute(result)
    else result.then((actions) => this.execute(actions), (err: unknown) => this.#onError(err, 'handleClientPacket'))
  }

  // ---- actions -------------------------------------------------------------------------

  execute(actions: readonly Action[]): void {
    for (const a of actions) {
      switch (a.type) {
        case 'send-client': this.#sendClient(a.tuple, a.data); break
        case 'send-peer': {
          const relay = this.#relays.get(a.allocationId)
          if (relay && !relay.closed) relay.socket.send(a.data, a.peer.port, a.peer.address)
          break
        }
        case 'bind-relay': this.#bindRelay(a.allocationId, a.family, a.address, a.port); break
        case 'close-relay': this.#closeRelay(a.allocationId); break
        case 'schedule': this.#scheduler.at(a.at); break
        case 'drop': break // counted by the server
      }
    }
  }

  #sendClient(tuple: FiveTuple, data: Buffer): void {
    if (tuple.transport === 'udp') {
      const l = this.#udp.get(listenerKey('udp', tuple.server))
      l?.socket.send(data, tuple.client.port, tuple.client.address)
      return
    }
    const conn = this.#tcp.get(fiveTupleKey(tuple))
    if (conn) this.#writeTcp(conn, data)
  }

  #writeTcp(conn: TcpConnection, data: Buffer): void {
    if (conn.socket.destroyed) return
    if (conn.socket.writableLength > (this.#o.maxTcpQueuedBytes ?? 1024 * 1024)) {
      this.stats.tcpDroppedBackpressure++
      return
    }
    conn.socket.write(data)
  }

  #bindRelay(allocationId: number, family: 4 | 6, address: string, port: number): void {
    const size = this.#o.relayBufferBytes ?? 256 * 1024
    const socket = dgram.createSocket({ type: family === 6 ? 'udp6' : 'udp4', ipv6Only: family === 6, recvBufferSize: size, sendBufferSize: size, lookup })
    const relay: RelaySocket = { socket, bound: false, closed: false }
    this.#relays.set(allocationId, relay)
    const onBindError = (err: NodeJS.ErrnoException): void => {
      if (this.#relays.get(allocationId) === relay) this.#relays.delete(allocationId)
      relay.closed = true
      socket.close()
      if (err.code !== 'EADDRINUSE' && err.code !== 'EACCES') this.#onError(err, 'relay bind')
      if (!this.#closed) this.execute(this.server.relayBindFailed(allocationId))
    }
    socket.once('error', onBindError)
    socket.bind(port, address, () => {
      socket.off('error', onBindError)
      socket.on('error', (err) => this.#socketError(err, 'relay socket', true))
      relay.bound = true
      if (relay.closed) {
        // Deleted (revoked, shut down) while the bind was in flight.
        socket.close()
        return
      }
      this.stats.relaySockets++
      const actions = this.server.relayBound(allocationId)
      const a = this.server.allocationById(allocationId)
      if (a && a.state === 'active') {
        const toClient = this.#clientSink(a.tuple)
        socket.on('message', (msg, rinfo) => {
          const frame = this.server.fromPeer(a, rinfo.address, rinfo.port, msg)
          if (typeof frame !== 'string') toClient(frame)
        })
      }
      this.execute(actions)
    })
  }

  /** Resolves once where an allocation's client is, so a peer datagram costs one call. */
  #clientSink(tuple: FiveTuple): (data: Buffer) => void {
    if (tuple.transport === 'udp') {
      const l = this.#udp.get(listenerKey('udp', tuple.server))
      const { port, address } = tuple.client
      return l ? (data) => l.socket.send(data, port, address) : () => {}
    }
    const conn = this.#tcp.get(fiveTupleKey(tuple))
    return conn ? (data) => this.#writeTcp(conn, data) : () => {}
  }

  #closeRelay(allocationId: number): void {
    const relay = this.#relays.get(allocationId)
    if (!relay) return
    this.#relays.delete(allocationId)
    if (relay.closed) return
    relay.closed = true
    if (!relay.bound) return // the bind callback closes it
    this.stats.relaySockets--
    relay.socket.close()
  }

  #socketError(err: NodeJS.ErrnoException, where: string, expected = false): void {
    this.stats.socketErrors++
    // ECONNRESET, EPIPE, ICMP-driven ECONNREFUSED on UDP: the network's doing, counted.
    if (!expected && !['ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH'].includes(err.code ?? '')) this.#onError(err, where)
  }

  get closed(): boolean {
    return this.#closed
  }

  /** Closes listeners, connections and relayed sockets. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#scheduler.close()
    this.execute(this.server.close().filter((a) => a.type === 'close-relay'))
    for (const id of [...this.#relays.keys()]) this.#closeRelay(id)
    for (const conn of this.#tcp.values()) conn.socket.destroy()
    for (const raw of this.#tlsSockets) raw.destroy()
    await Promise.all([
      ...[...this.#udp.values()].map((l) => new Promise<void>((resolve) => l.socket.close(() => resolve()))),
      ...[...this.#tcpServers, ...this.#tlsServers].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
    ])
    this.#udp.clear()
  }
}

/** Runs `make`, turning OpenSSL's refusal of a certificate or key into a coded error that says what is wrong. */
function usableTls<T>(make: () => T): T {
  try {
    return make()
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    throw new RelayError('ERR_TLS_CERTIFICATE', `the TLS certificate and key are not a usable PEM pair (${e.code ?? 'error'}: ${e.message})`, { cause: err })
  }
}
