/**
 * The native data path: the C++ engine of relay/native owns the UDP listeners (one
 * SO_REUSEPORT socket per data thread) and every allocation's relayed socket (on the
 * thread its client's packets arrive on). It forwards ChannelData on installed channels
 * both ways by itself; every other datagram comes back here in batches and goes to the
 * TurnServer, which stays the single authority.
 *
 * What the engine may forward is mirrored from the server's allocations after each
 * answered request and each tick: an entry exists in C++ only while the TypeScript
 * allocation holds it (RFC 8656 §9 permissions, §12 channels), with the time it has left.
 * Removing an allocation (expiry, refresh to 0, revocation, TCP close) closes it in the
 * engine synchronously: when `closeRelay` returns, no batch can still use it.
 *
 * The bandwidth limit: the engine keeps the token bucket of every allocation it holds a
 * relayed socket for (same rate, one second of burst, both directions). What it forwards
 * takes from it on the data thread; what the TurnServer relays itself (Send/Data
 * indications, TCP clients' packets) takes from it through `takeTokens` (EngineBucket,
 * put in the allocation's place when the relayed socket is bound). One bucket per
 * allocation: mixing channels and indications does not double the limit.
 */
import { RelayError } from '../errors.js'
import { COUNTERS, PACKET_FROM_CLIENT, type DataThreadStats, type NativeEngine, type OnPackets, loadEngine } from '../native/index.js'
import type { Allocation, FiveTuple, TransportAddress } from '../server/index.js'
import type { DataPlane, DataPlaneHost, UdpListen } from './data-plane.js'
import { EngineBucket } from './engine-bucket.js'
import type { HostPort } from './host-port.js'

const ROW = 1 + COUNTERS.length
const ERRNO: Record<number, string> = { 98: 'EADDRINUSE', 13: 'EACCES', 99: 'EADDRNOTAVAIL', 22: 'EINVAL', 97: 'EAFNOSUPPORT' }

interface Mirror {
  /** peer IP → expiry (server clock) as installed */
  readonly permissions: Map<string, number>
  /** channel number → "expiry|address|port" as installed */
  readonly channels: Map<number, string>
}

export interface NativePlaneOptions {
  threads: number
  relayBufferBytes?: number
  /** Join a UDP port other relay processes hold with SO_REUSEPORT (--reuse-port). */
  reusePort?: boolean
}

export class NativePlane implements DataPlane {
  readonly kind = 'native' as const
  readonly threads: number
  readonly #host: DataPlaneHost
  readonly #engine: NativeEngine
  readonly #reusePort: boolean
  readonly #relayBufferBytes: number
  /** listener index ↔ its address */
  readonly #listeners: (TransportAddress | undefined)[] = []
  /** By the address object itself: every UDP client's tuple has one of #listeners as its `server` (the hand-up sets it). */
  readonly #indexOf = new Map<TransportAddress, number>()
  /** Per bound allocation: what is installed in the engine (null until it holds anything: most idle allocations never do). */
  readonly #mirrors = new Map<number, Mirror | null>()
  /** Where a pending allocation's relayed socket goes, kept across bind retries. */
  readonly #pendingThread = new Map<number, number>()
  readonly #lastDrops = { malformed: 0, truncated: 0 }
  #nextThread = 0
  #closed = false

  constructor(host: DataPlaneHost, o: NativePlaneOptions) {
    const load = loadEngine()
    if (!load.ok) throw new RelayError('ERR_NATIVE_UNAVAILABLE', `the native data path is not available: ${load.reason}`)
    this.#host = host
    this.#relayBufferBytes = o.relayBufferBytes ?? 256 * 1024
    this.#reusePort = o.reusePort === true
    const onPackets: OnPackets = (thread, meta, addresses, data) => this.#onPackets(thread, meta, addresses, data)
    this.#engine = new load.Engine(o.threads, onPackets)
    this.threads = this.#engine.threads
  }

  async listenUdp(hp: HostPort, bufferBytes: number): Promise<UdpListen> {
    const r = this.#engine.listen(hp.family, hp.host, hp.port, bufferBytes, this.#reusePort)
    if (typeof r === 'number') throw errnoError(r, `udp listen ${hp.host}:${hp.port}`)
    const [index, port] = r
    const address: TransportAddress = { family: hp.family, address: hp.host, port }
    this.#listeners[index] = address
    this.#indexOf.set(address, index)
    return {
      address,
      close: async () => {
        this.#indexOf.delete(address)
        this.#listeners[index] = undefined
        if (!this.#closed) this.#engine.closeListener(index)
      },
    }
  }

  #onPackets(thread: number, meta: Uint32Array, addresses: string[], data: Buffer): void {
    if (this.#closed) return
    const host = this.#host
    for (let i = 0, n = addresses.length; i < n; i++) {
      const kind = meta[i * 6]!, ref = meta[i * 6 + 1]!, port = meta[i * 6 + 2]!, family = meta[i * 6 + 3] as 4 | 6
      const offset = meta[i * 6 + 4]!, length = meta[i * 6 + 5]!
      const address = addresses[i]!
      try {
        if (kind === PACKET_FROM_CLIENT) {
          const server = this.#listeners[ref]
          if (server === undefined) continue
          // A copy: the server may keep a request (a pending Allocate) past this batch.
          const packet = Buffer.from(data.subarray(offset, offset + length))
          host.dispatch({ transport: 'udp', client: { family, address, port }, server }, packet, thread)
        } else {
          // From a peer, not forwarded natively: a Data indication, or a permission check.
          const a = host.server.allocationById(ref)
          if (a === undefined || a.state !== 'active') continue
          const frame = host.server.fromPeer(a, address, port, data.subarray(offset, offset + length))
          if (typeof frame === 'string') continue
          if (a.tuple.transport === 'udp') this.sendClient(a.tuple, frame)
          else host.streamSink(a.tuple)(frame)
        }
      } catch (err) {
        host.onError(err, 'native hand-up')
      }
    }
  }

  sendClient(tuple: FiveTuple, data: Buffer): void {
    const index = this.#indexOf.get(tuple.server)
    if (index === undefined || this.#closed) return
    const r = this.#engine.sendClient(index, tuple.client.address, tuple.client.port, data)
    if (r < 0) this.#sendFailed(r, 'udp listener')
  }

  sendPeer(allocationId: number, peer: TransportAddress, data: Buffer): void {
    if (this.#closed) return
    const r = this.#engine.sendPeer(allocationId, peer.address, peer.port, data)
    if (r < 0 && r !== -9) this.#sendFailed(r, 'relay socket')
  }

  #sendFailed(r: number, where: string): void {
    this.#host.socketError(errnoError(r, where), where, true)
  }

  bindRelay(allocationId: number, family: 4 | 6, address: string, port: number, thread?: number): void {
    const host = this.#host
    const t = thread ?? this.#pendingThread.get(allocationId) ?? this.#nextThread++ % this.threads
    const a = host.server.allocationById(allocationId)
    const bandwidth = host.server.quotas.bandwidthBytesPerSecond
    const r = this.#closed ? -9 : this.#engine.bindRelay(allocationId, t, family, address, port, this.#relayBufferBytes, bandwidth)
    // Answered on a later microtask, as the dgram plane's bind callback would be.
    if (r < 0) {
      this.#pendingThread.set(allocationId, t)
      queueMicrotask(() => {
        if (r !== -98 && r !== -13) host.onError(errnoError(r, 'relay bind'), 'relay bind')
        if (this.#closed) return
        host.execute(host.server.relayBindFailed(allocationId))
        if (host.server.allocationById(allocationId) === undefined) this.#pendingThread.delete(allocationId)
      })
      return
    }
    this.#pendingThread.delete(allocationId)
    if (a) a.bucket = new EngineBucket(this.#engine, allocationId, a.bucket)
    host.stats.relaySockets++
    this.#mirrors.set(allocationId, null)
    queueMicrotask(() => {
      if (this.#closed || !this.#mirrors.has(allocationId)) return
      const actions = host.server.relayBound(allocationId)
      const bound = host.server.allocationById(allocationId)
      if (bound && bound === a && bound.state === 'active' && bound.tuple.transport === 'udp') {
        const index = this.#indexOf.get(bound.tuple.server)
        if (index !== undefined) this.#engine.setClient(allocationId, index, bound.tuple.client.address, bound.tuple.client.port)
      }
      host.execute(actions)
    })
  }

  closeRelay(allocationId: number): void {
    this.#pendingThread.delete(allocationId)
    if (!this.#mirrors.delete(allocationId)) return
    this.#host.stats.relaySockets--
    const last = this.#engine.closeRelay(allocationId)
    if (last) this.#addCounts(allocationId, last, 0)
  }

  afterRequest(a: Allocation): void {
    if (this.#mirrors.has(a.id) && a.state === 'active') this.#sync(a, this.#host.server.now())
  }

  afterTick(): void {
    const server = this.#host.server
    const now = server.now()
    for (const [id, mirror] of this.#mirrors) {
      if (mirror === null) continue
      const a = server.allocationById(id)
      if (a && a.state === 'active') this.#sync(a, now)
    }
  }

  /** Installs what the allocation holds and removes what it no longer holds. */
  #sync(a: Allocation, now: number): void {
    let m = this.#mirrors.get(a.id)
    if (m === undefined) return
    if (m === null) {
      if (a.permissions.size === 0 && a.channels.size === 0) return
      this.#mirrors.set(a.id, (m = { permissions: new Map(), channels: new Map() }))
    }
    const e = this.#engine
    for (const [address, expiresAt] of a.permissions) {
      if (m.permissions.get(address) === expiresAt) continue
      e.setPermission(a.id, address, expiresAt - now)
      m.permissions.set(address, expiresAt)
    }
    for (const address of m.permissions.keys()) {
      if (a.permissions.has(address)) continue
      e.setPermission(a.id, address, 0)
      m.permissions.delete(address)
    }
    const seen = new Set<number>()
    for (const b of a.channels.values()) {
      seen.add(b.number)
      const state = `${b.expiresAt}|${b.peer.address}|${b.peer.port}`
      if (m.channels.get(b.number) === state) continue
      e.setChannel(a.id, b.number, b.peer.address, b.peer.port, b.expiresAt - now)
      m.channels.set(b.number, state)
    }
    for (const number of m.channels.keys()) {
      if (seen.has(number)) continue
      e.setChannel(a.id, number, '0.0.0.0', 0, 0)
      m.channels.delete(number)
    }
  }

  collect(): void {
    if (this.#closed) return
    const rows = this.#engine.collect()
    for (let i = 0; i < rows.length; i += ROW) this.#addCounts(rows[i]!, rows, i + 1)
    let malformed = 0
    for (const s of this.#engine.stats()) malformed += s.drops.malformed
    if (malformed > this.#lastDrops.malformed) this.#host.server.addDrops('malformed', malformed - this.#lastDrops.malformed)
    this.#lastDrops.malformed = malformed
  }

  /** Counters of the native fast path, into the allocation (or the server's retired totals). */
  #addCounts(id: number, c: Float64Array, at: number): void {
    const server = this.#host.server
    const counts = { toPeerBytes: c[at]!, toPeerPackets: c[at + 1]!, toClientBytes: c[at + 2]!, toClientPackets: c[at + 3]! }
    const dropped = c[at + 4]!
    const a = server.allocationById(id)
    if (a) {
      a.toPeerBytes += counts.toPeerBytes
      a.toPeerPackets += counts.toPeerPackets
      a.toClientBytes += counts.toClientBytes
      a.toClientPackets += counts.toClientPackets
      a.droppedBandwidth += dropped
    } else {
      server.addForwarded(counts)
    }
    if (dropped > 0) server.addDrops('bandwidth', dropped)
  }

  threadStats(): DataThreadStats[] {
    return this.#closed ? [] : this.#engine.stats()
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#host.stats.relaySockets -= this.#mirrors.size
    this.#mirrors.clear()
    this.#pendingThread.clear()
    this.#engine.close()
  }
}

function errnoError(r: number, where: string): NodeJS.ErrnoException {
  const code = ERRNO[-r] ?? `E${-r}`
  const err: NodeJS.ErrnoException = new Error(`${where}: ${code}`)
  err.code = code
  err.errno = r
  return err
}
