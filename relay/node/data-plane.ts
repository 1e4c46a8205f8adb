/**
 * The relay's UDP data path behind one small interface, so that SocketLayer runs over
 * either implementation (the two-store pattern of @fastify/rate-limit):
 * - `dgram-plane.ts`: Node's dgram sockets, one JavaScript turn per datagram (the fallback);
 * - `native-plane.ts`: the C++ engine of relay/native (batched I/O, N data threads).
 * Both own the UDP listeners and every allocation's relayed socket; TCP/TLS listeners
 * and the TurnServer's actions stay in SocketLayer, which is the plane's host.
 */
import type { DataThreadStats } from '../native/index.js'
import type { Action, Allocation, FiveTuple, TransportAddress, TurnServer } from '../server/index.js'
import type { HostPort } from './host-port.js'

export type DataPathKind = 'native' | 'ts'

/** Counts shared between SocketLayer and its plane (SocketLayer.stats). */
export interface PlaneStats {
  relaySockets: number
  socketErrors: number
}

/** What a data plane needs from the layer around it. */
export interface DataPlaneHost {
  readonly server: TurnServer
  readonly stats: PlaneStats
  /** A datagram from a UDP client for the TurnServer; `thread` is the data thread it arrived on. */
  dispatch(tuple: FiveTuple, data: Buffer, thread?: number): void
  /** Where frames for a TCP/TLS client go (resolved once per allocation). */
  streamSink(tuple: FiveTuple): (data: Buffer) => void
  execute(actions: readonly Action[]): void
  onError(err: unknown, where: string): void
  socketError(err: NodeJS.ErrnoException, where: string, expected?: boolean): void
}

export interface UdpListen {
  readonly address: TransportAddress
  /** Closes this listener again (a port-0 pair whose TCP twin was taken). */
  close(): Promise<void>
}

export interface DataPlane {
  readonly kind: DataPathKind
  /** Data threads moving packets (1 for the dgram plane: the JavaScript thread). */
  readonly threads: number
  listenUdp(hp: HostPort, bufferBytes: number): Promise<UdpListen>
  /** Sends to a UDP client from the listener its 5-tuple names. */
  sendClient(tuple: FiveTuple, data: Buffer): void
  sendPeer(allocationId: number, peer: TransportAddress, data: Buffer): void
  /**
   * Binds a pending allocation's relayed socket, then calls `server.relayBound` (or
   * `relayBindFailed`) and executes what it returns. `thread`: where its client's packets arrive.
   */
  bindRelay(allocationId: number, family: 4 | 6, address: string, port: number, thread?: number): void
  closeRelay(allocationId: number): void
  /** The allocation's permissions and channels may have changed (a request was answered). */
  afterRequest(allocation: Allocation): void
  /** Permissions and channels may have expired (the server's tick ran). */
  afterTick(): void
  /** Moves counters kept outside the server into it, so a flush is exact. */
  collect(): void
  /** Per data thread counters (empty for the dgram plane). */
  threadStats(): DataThreadStats[]
  close(): Promise<void>
}
