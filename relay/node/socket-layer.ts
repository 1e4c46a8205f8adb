/**
 * The only code of the relay that touches sockets. It runs the sans-IO TurnServer:
 * UDP and TCP listeners (RFC 8656 §3.1: TURN over UDP and TCP, framed per RFC 8489
 * §6.2.2 / RFC 8656 §12.5 by relay/proto's StreamFramer), one relayed UDP socket per
 * allocation, and one timer driven by the server's `schedule` actions. The UDP side —
 * listeners and relayed sockets — is a data plane (data-plane.ts): the native engine
 * (native-plane.ts) or Node's dgram sockets (dgram-plane.ts, the fallback).
 *
 * TURN over TLS (RFC 8656 §3.1, the `turns:` URI of RFC 7065) is TLS-over-TCP on listeners
 * of its own: once the handshake is done a TLS connection is handled exactly as a TCP one
 * (its five-tuple's transport is TCP; the allocation relays over UDP all the same).
 */
import { availableParallelism } from 'node:os'
import net from 'node:net'
import tls from 'node:tls'

import { RelayError, StunDecodeError } from '../errors.js'
import { StreamFramer } from '../proto/stream-framer.js'
import { listenerKey, type Action, type Allocation, type FiveTuple, type TransportAddress, type TurnServer } from '../server/index.js'
import { fiveTupleKey } from '../server/five-tuple.js'
import type { DataPlane, DataPathKind, UdpListen } from './data-plane.js'
import { DgramPlane } from './dgram-plane.js'
import type { HostPort } from './host-port.js'
import { NativePlane } from './native-plane.js'
import { Scheduler } from './scheduler.js'
import { loadEngine } from '../native/index.js'

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
  /**
   * UDP data path: 'native' (the C++ engine; an error if it cannot load), 'ts' (Node
   * dgram), or 'auto' (native when the addon loads). Default: 'auto'.
   */
  dataPath?: DataPathKind | 'auto'
  /** Native data threads (default: the number of cores). */
  dataThreads?: number
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

interface TcpConnection {
  socket: net.Socket
  tuple: FiveTuple
  key: string
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
  readonly #plane: DataPlane
  readonly #tcpServers: net.Server[] = []
  readonly #tlsServers: tls.Server[] = []
  /** TCP sockets of the TLS listeners, handshaking or not: closed with the layer. */
  readonly #tlsSockets = new Set<net.Socket>()
  readonly #tcp = new Map<string, TcpConnection>()
  readonly #scheduler: Scheduler
  readonly #onError: (err: unknown, where: string) => void
  #closed = false

  private constructor(o: SocketLayerOptions) {
    this.#o = o
    this.server = o.server
    this.#onError = o.onError ?? ((err, where) => console.error(`relay: unexpected error in ${where}:`, err))
    this.#scheduler = new Scheduler(() => this.tick(), this.server.now)
    this.#plane = choosePlane(o, {
      server: o.server,
      stats: this.stats,
      dispatch: (tuple, data, thread) => this.#dispatch(tuple, data, thread),
      streamSink: (tuple) => {
        const conn = this.#tcp.get(fiveTupleKey(tuple))
        return conn ? (data) => this.#writeTcp(conn, data) : () => {}
      },
      execute: (actions) => this.execute(actions),
      onError: (err, where) => this.#onError(err, where),
      socketError: (err, where, expected) => this.#socketError(err, where, expected),
    })
    // Every flush (tick, scrape, close) first takes the counts the data plane kept.
    this.server.setFlushSource(() => {
      if (!this.#closed) this.#plane.collect()
    })
  }

  /** Runs the server's tick (expiry, counters) and tells the data plane what expired; the timer calls it. */
  tick(): void {
    if (this.#closed) return
    this.execute(this.server.tick())
    this.#plane.afterTick()
  }

  /** Which UDP data path runs ('native' or 'ts'), and on how many data threads. */
  get dataPath(): { kind: DataPathKind; threads: number } {
    return { kind: this.#plane.kind, threads: this.#plane.threads }
  }

  /** Why the TypeScript path runs although native was not refused ('auto' without the addon). */
  get dataPathNote(): string | undefined {
    if (this.#plane.kind === 'native' || this.#o.dataPath === 'ts') return undefined
    const load = loadEngine()
    return load.ok ? undefined : load.reason
  }

  /** Per data thread counters of the native path (empty on the TypeScript path). */
  dataThreadStats(): ReturnType<DataPlane['threadStats']> {
    return this.#plane.threadStats()
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
          this.addresses.pop()
          await udp.close()
          continue
        }
        throw err
      }
    }
  }

  async #bindUdp(hp: HostPort): Promise<UdpListen> {
    const l = await this.#plane.listenUdp(hp, this.#o.listenerBufferBytes ?? 4 * 1024 * 1024)
    this.addresses.push({ transport: 'udp', host: hp.host, port: l.address.port, family: hp.family })
    return l
  }

  /** The ChannelData fast path of TCP clients: route, then send bytes [4, 4+length). */
  #channelData(a: Allocation, msg: Buffer): void {
    const binding = this.server.channelDataFromClient(a, msg)
    if (typeof binding === 'string') return
    this.#plane.sendPeer(a.id, binding.peer, msg.subarray(4, 4 + msg.readUInt16BE(2)))
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

  #dispatch(tuple: FiveTuple, data: Buffer, thread?: number): void {
    let result: Action[] | Promise<Action[]>
    // Built once: the server files the request under it, and the data plane looks it up after.
    const key = fiveTupleKey(tuple)
    try {
      result = this.server.handleClientPacket(tuple, data, key)
    } catch (err) {
      this.#onError(err, 'handleClientPacket')
      return
    }
    if (Array.isArray(result)) this.#answered(key, data, result, thread)
    else result.then((actions) => this.#answered(key, data, actions, thread), (err: unknown) => this.#onError(err, 'handleClientPacket'))
  }

  /**
   * A STUN request may have installed or removed permissions and channels: the data
   * plane learns of them before the answer leaves, so the client's next packet finds them.
   */
  #answered(key: string, data: Buffer, actions: Action[], thread: number | undefined): void {
    if ((data[0]! & 0xc0) === 0 && !this.#closed) {
      const a = this.server.table.byTuple(key)
      if (a) this.#plane.afterRequest(a)
    }
    this.execute(actions, thread)
  }

  // ---- actions -------------------------------------------------------------------------

  /** `thread`: the data thread the packet that caused these actions arrived on (native path). */
  execute(actions: readonly Action[], thread?: number): void {
    for (const a of actions) {
      switch (a.type) {
        case 'send-client': this.#sendClient(a.tuple, a.data); break
        case 'send-peer': this.#plane.sendPeer(a.allocationId, a.peer, a.data); break
        case 'bind-relay': this.#plane.bindRelay(a.allocationId, a.family, a.address, a.port, thread); break
        case 'close-relay': this.#plane.closeRelay(a.allocationId); break
        case 'schedule': this.#scheduler.at(a.at); break
        case 'drop': break // counted by the server
      }
    }
  }

  #sendClient(tuple: FiveTuple, data: Buffer): void {
    if (tuple.transport === 'udp') {
      this.#plane.sendClient(tuple, data)
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
    this.#plane.collect()
    this.execute(this.server.close().filter((a) => a.type === 'close-relay'))
    for (const conn of this.#tcp.values()) conn.socket.destroy()
    for (const raw of this.#tlsSockets) raw.destroy()
    await Promise.all([
      this.#plane.close(),
      ...[...this.#tcpServers, ...this.#tlsServers].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
    ])
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

/**
 * 'auto' runs the native engine when its addon loads, else the dgram path; 'native'
 * insists (ERR_NATIVE_UNAVAILABLE when it cannot load).
 */
function choosePlane(o: SocketLayerOptions, host: ConstructorParameters<typeof DgramPlane>[0]): DataPlane {
  const path = o.dataPath ?? 'auto'
  const relayBufferBytes = o.relayBufferBytes ?? 256 * 1024
  const threads = o.dataThreads ?? availableParallelism()
  if (!Number.isInteger(threads) || threads < 1 || threads > 256) throw new RelayError('ERR_DATA_PATH', `data threads must be an integer 1..256, got ${threads}`)
  const reusePort = o.reusePort === true
  if (path === 'ts' || (path === 'auto' && !loadEngine().ok)) return new DgramPlane(host, { relayBufferBytes, reusePort })
  return new NativePlane(host, { threads, relayBufferBytes, reusePort })
}
