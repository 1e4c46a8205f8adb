/**
 * The TypeScript data path: Node dgram sockets, one JavaScript turn per datagram. The
 * fallback where the native engine cannot be built or loaded, and the reference the
 * native path is tested against.
 *
 * Per-packet path: ChannelData from a client is looked up by listener → port → address
 * (no string built), routed by channel number on the allocation, and sent with
 * `send(buf, offset, length)` from the same buffer; a peer datagram is framed once and
 * written to the client. Counters are plain integers batched by the server.
 */
import dgram from 'node:dgram'

import { listenerKey, type Allocation, type FiveTuple, type TransportAddress } from '../server/index.js'
import type { DataPlane, DataPlaneHost, UdpListen } from './data-plane.js'
import type { HostPort } from './host-port.js'
import { literalLookupOption as lookup } from './literal-lookup.js'

interface UdpListener {
  socket: dgram.Socket
  address: TransportAddress
  key: string
}

interface RelaySocket {
  socket: dgram.Socket
  /** Set once bind() completed; before that, closing is left to the bind callback. */
  bound: boolean
  closed: boolean
}

export class DgramPlane implements DataPlane {
  readonly kind = 'ts' as const
  readonly threads = 1
  readonly #host: DataPlaneHost
  readonly #udp = new Map<string, UdpListener>()
  readonly #relays = new Map<number, RelaySocket>()
  readonly #relayBufferBytes: number
  readonly #reusePort: boolean
  #closed = false

  constructor(host: DataPlaneHost, o: { relayBufferBytes?: number; reusePort?: boolean } = {}) {
    this.#host = host
    this.#relayBufferBytes = o.relayBufferBytes ?? 256 * 1024
    this.#reusePort = o.reusePort === true
  }

  listenUdp(hp: HostPort, size: number): Promise<UdpListen> {
    const socket = dgram.createSocket({ type: hp.family === 6 ? 'udp6' : 'udp4', ipv6Only: hp.family === 6, recvBufferSize: size, sendBufferSize: size, lookup, reusePort: this.#reusePort })
    return new Promise((resolve, reject) => {
      socket.once('error', reject)
      socket.bind(hp.port, hp.host, () => {
        socket.off('error', reject)
        socket.on('error', (err) => this.#host.socketError(err, 'udp listener'))
        const address: TransportAddress = { family: hp.family, address: hp.host, port: socket.address().port }
        const l: UdpListener = { socket, address, key: listenerKey('udp', address) }
        this.#udp.set(l.key, l)
        socket.on('message', (msg, rinfo) => this.#onUdp(l, msg, rinfo))
        resolve({
          address,
          close: () => {
            this.#udp.delete(l.key)
            return new Promise<void>((done) => socket.close(() => done()))
          },
        })
      })
    })
  }

  #onUdp(l: UdpListener, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const first = msg[0]
    if (first !== undefined && (first & 0xc0) === 0x40) {
      const server = this.#host.server
      const a = server.table.byClient(l.key, rinfo.port, rinfo.address)
      if (a !== undefined && a.state === 'active') {
        // The ChannelData fast path: route, then send bytes [4, 4+length) of the same buffer.
        const binding = server.channelDataFromClient(a, msg)
        if (typeof binding === 'string') return
        const relay = this.#relays.get(a.id)
        if (relay && !relay.closed) relay.socket.send(msg, 4, msg.readUInt16BE(2), binding.peer.port, binding.peer.address)
        return
      }
    }
    const tuple: FiveTuple = {
      transport: 'udp',
      client: { family: rinfo.family === 'IPv6' ? 6 : 4, address: rinfo.address, port: rinfo.port },
      server: l.address,
    }
    this.#host.dispatch(tuple, msg)
  }

  sendClient(tuple: FiveTuple, data: Buffer): void {
    const l = this.#udp.get(listenerKey('udp', tuple.server))
    l?.socket.send(data, tuple.client.port, tuple.client.address)
  }

  sendPeer(allocationId: number, peer: TransportAddress, data: Buffer): void {
    const relay = this.#relays.get(allocationId)
    if (relay && !relay.closed) relay.socket.send(data, peer.port, peer.address)
  }

  bindRelay(allocationId: number, family: 4 | 6, address: string, port: number): void {
    const host = this.#host
    const size = this.#relayBufferBytes
    const socket = dgram.createSocket({ type: family === 6 ? 'udp6' : 'udp4', ipv6Only: family === 6, recvBufferSize: size, sendBufferSize: size, lookup })
    const relay: RelaySocket = { socket, bound: false, closed: false }
    this.#relays.set(allocationId, relay)
    const onBindError = (err: NodeJS.ErrnoException): void => {
      if (this.#relays.get(allocationId) === relay) this.#relays.delete(allocationId)
      relay.closed = true
      socket.close()
      if (err.code !== 'EADDRINUSE' && err.code !== 'EACCES') host.onError(err, 'relay bind')
      if (!this.#closed) host.execute(host.server.relayBindFailed(allocationId))
    }
    socket.once('error', onBindError)
    socket.bind(port, address, () => {
      socket.off('error', onBindError)
      socket.on('error', (err) => host.socketError(err, 'relay socket', true))
      relay.bound = true
      if (relay.closed) {
        // Deleted (revoked, shut down) while the bind was in flight.
        socket.close()
        return
      }
      host.stats.relaySockets++
      const actions = host.server.relayBound(allocationId)
      const a = host.server.allocationById(allocationId)
      if (a && a.state === 'active') {
        const toClient = this.#clientSink(a.tuple)
        socket.on('message', (msg, rinfo) => {
          const frame = host.server.fromPeer(a, rinfo.address, rinfo.port, msg)
          if (typeof frame !== 'string') toClient(frame)
        })
      }
      host.execute(actions)
    })
  }

  /** Resolves once where an allocation's client is, so a peer datagram costs one call. */
  #clientSink(tuple: FiveTuple): (data: Buffer) => void {
    if (tuple.transport === 'udp') {
      const l = this.#udp.get(listenerKey('udp', tuple.server))
      const { port, address } = tuple.client
      return l ? (data) => l.socket.send(data, port, address) : () => {}
    }
    return this.#host.streamSink(tuple)
  }

  closeRelay(allocationId: number): void {
    const relay = this.#relays.get(allocationId)
    if (!relay) return
    this.#relays.delete(allocationId)
    if (relay.closed) return
    relay.closed = true
    if (!relay.bound) return // the bind callback closes it
    this.#host.stats.relaySockets--
    relay.socket.close()
  }

  afterRequest(_a: Allocation): void {}
  afterTick(): void {}
  collect(): void {}
  threadStats(): [] {
    return []
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const id of [...this.#relays.keys()]) this.closeRelay(id)
    await Promise.all([...this.#udp.values()].map((l) => new Promise<void>((resolve) => l.socket.close(() => resolve()))))
    this.#udp.clear()
  }
}
