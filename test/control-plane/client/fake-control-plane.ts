/**
 * A scripted stand-in for the control plane's signaling endpoint, on loopback: it speaks
 * sovereign.signal.v1 with the real codec (so it validates what the client sends and
 * cannot send what the protocol forbids), and lets a test await each connection and each
 * message instead of sleeping.
 */
import type { AddressInfo } from 'node:net'

import { WebSocketServer, type WebSocket } from 'ws'

import type { ClientMessageShape } from '../../../control-plane/protocol/client-messages.js'
import { decodeClientMessage, encodeServerMessage } from '../../../control-plane/protocol/codec.js'
import type { ServerMessageShape } from '../../../control-plane/protocol/server-messages.js'
import { SUBPROTOCOL } from '../../../control-plane/protocol/version.js'

class Queue<T> {
  readonly #items: T[] = []
  readonly #waiters: Array<(item: T) => void> = []
  push(item: T): void {
    const waiter = this.#waiters.shift()
    if (waiter) waiter(item)
    else this.#items.push(item)
  }
  next(): Promise<T> {
    const item = this.#items.shift()
    return item !== undefined ? Promise.resolve(item) : new Promise((resolve) => this.#waiters.push(resolve))
  }
}

export class FakeConnection {
  readonly messages = new Queue<ClientMessageShape>()
  readonly closed: Promise<{ code: number; reason: string }>
  constructor(readonly socket: WebSocket, readonly protocol: string) {
    socket.on('message', (data) => {
      const decoded = decodeClientMessage(String(data))
      if (!decoded.ok) throw new Error(`client sent an invalid frame: ${decoded.detail}`)
      this.messages.push(decoded.message)
    })
    this.closed = new Promise((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: String(reason) })))
  }
  send(message: ServerMessageShape): void {
    this.socket.send(encodeServerMessage(message))
  }
  sendRaw(frame: string): void {
    this.socket.send(frame)
  }
  close(code: number, reason = ''): void {
    this.socket.close(code, reason)
  }
}

export class FakeControlPlane {
  readonly connections = new Queue<FakeConnection>()
  readonly #server: WebSocketServer
  private constructor(server: WebSocketServer, readonly url: string) {
    this.#server = server
    server.on('connection', (socket) => this.connections.push(new FakeConnection(socket, socket.protocol)))
  }

  static async start(opts: { protocol?: string | false } = {}): Promise<FakeControlPlane> {
    const server = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      handleProtocols: (offered) => (opts.protocol === undefined ? (offered.has(SUBPROTOCOL) ? SUBPROTOCOL : false) : opts.protocol),
    })
    await new Promise<void>((resolve) => server.once('listening', resolve))
    const { port } = server.address() as AddressInfo
    return new FakeControlPlane(server, `ws://127.0.0.1:${port}/v1/signal`)
  }

  async stop(): Promise<void> {
    for (const client of this.#server.clients) client.terminate()
    await new Promise<void>((resolve, reject) => this.#server.close((err) => (err ? reject(err) : resolve())))
  }
}

/** Forwards every signal `from` sends to `to` as from `fromId`, as the control plane does between admitted participants. */
export async function forwardSignals(from: FakeConnection, fromId: string, to: FakeConnection): Promise<void> {
  for (;;) {
    const m = await from.messages.next()
    if (m.type !== 'signal') continue
    to.send({
      type: 'signal', from: fromId, kind: m.kind, payload: m.payload,
      ...('tracks' in m && m.tracks ? { tracks: m.tracks } : {}), ...('dataChannels' in m && m.dataChannels ? { dataChannels: m.dataChannels } : {}),
    })
  }
}
