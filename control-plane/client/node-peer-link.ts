/**
 * PeerLink's counterpart for node-datachannel (libdatachannel), which has no ICE restart:
 * failover (PROTOCOL.md, "Failover") builds a new peer connection on the new ICE servers
 * instead, and renegotiates it over signaling. Data channels are pre-negotiated (same
 * label and id on both sides, RFC 8832 §6 out-of-band), so either side can rebuild and
 * offer, and each side re-creates its channels itself: `channel` fires again with the new
 * channel after every rebuild.
 *
 * A rebuild happens on an offer that arrives for a connection that already negotiated (the
 * other side rebuilt: we follow), on `ice-restart`, after a signaling reconnect when the
 * connection is not up, and when our own connection fails (we ask for fresh servers; their
 * `ice-restart` rebuilds). An `ice-restart` reaches both sides of a call (the same relay
 * carried both), so only one of them offers: the impolite side (the smaller participant id,
 * unless told) rebuilds and offers; the polite side keeps the new servers and waits for that
 * offer, which it follows with a connection built on them, and offers itself only if none
 * came within `restartFallbackMs`. The side that asked for the servers (`requested`: its own
 * connection failed, the other's may not have) offers either way. Each failover so costs
 * each side one new connection: a connection built and thrown away on an offer collision
 * would hold a TURN allocation that libdatachannel never releases (libjuice sends no Refresh
 * with lifetime 0 when it closes; the relay frees it when its lifetime runs out), and the
 * relay counts it against the participant's allocation quota meanwhile. Offer collisions
 * that still happen follow perfect negotiation: the polite side yields.
 *
 * Make before break: a connection that is still connected when it is replaced (a draining
 * relay still relays) stays open, with its channels, until the new one connects, as an ICE
 * restart keeps the old pair until a new one is selected (RFC 8445 §9). An app sends on
 * the newest channel that is open. A connection that is not connected is closed at once.
 *
 * node-datachannel is injected (`PeerConnection`), never imported: the client package
 * stays free of native modules. Only its structural shape below is relied on.
 *
 *   const link = new NodePeerLink(client, { remote, PeerConnection, channels: [{ label: 'chat', id: 1 }], offer: true })
 *   link.on('channel', (label, dc) => ...)   // again after every rebuild
 *   link.start()
 */
import type { IceServerShape, IceRestartMessage, SignalFromMessage, WelcomeMessage } from '../protocol/server-messages.js'
import type { SignalClient } from './signal-client.js'
import { TypedEmitter } from './typed-emitter.js'

/** The part of node-datachannel's DataChannel used here. */
export interface NdcDataChannel {
  close(): void
  isOpen(): boolean
  sendMessage(message: string): boolean
  onOpen(cb: () => void): void
  onClosed(cb: () => void): void
  onMessage(cb: (message: string | Uint8Array | ArrayBuffer) => void): void
}

/** node-datachannel's TURN server object (its URL form cannot carry a REST username with ':'). */
export interface NdcIceServer {
  hostname: string
  port: number
  username?: string
  password?: string
  relayType?: 'TurnUdp' | 'TurnTcp' | 'TurnTls'
}

/** The part of node-datachannel's PeerConnection used here. */
export interface NdcPeerConnection {
  close(): void
  setLocalDescription(type?: 'offer' | 'answer'): void
  setRemoteDescription(sdp: string, type: 'offer' | 'answer'): void
  addRemoteCandidate(candidate: string, mid: string): void
  createDataChannel(label: string, config?: { negotiated?: boolean; id?: number }): NdcDataChannel
  state(): string
  signalingState(): string
  remoteDescription(): { type: string; sdp: string } | null
  onLocalDescription(cb: (sdp: string, type: string) => void): void
  onLocalCandidate(cb: (candidate: string, mid: string) => void): void
  onStateChange(cb: (state: string) => void): void
}

export type NdcPeerConnectionConstructor = new (name: string, config: {
  iceServers: NdcIceServer[]
  iceTransportPolicy?: 'all' | 'relay'
  bindAddress?: string
  disableAutoNegotiation?: boolean
}) => NdcPeerConnection

export interface NodePeerLinkOptions {
  readonly remote: string
  /** node-datachannel's PeerConnection. */
  readonly PeerConnection: NdcPeerConnectionConstructor
  /** Pre-negotiated data channels: the same label and id on both sides. */
  readonly channels: ReadonlyArray<{ readonly label: string; readonly id: number }>
  /** Offer first (one side of a pair); the other waits for the offer. */
  readonly offer: boolean
  readonly polite?: boolean
  /** The polite side, on `ice-restart`: how long it waits for the other side's offer before it offers itself (ms, default 2000). */
  readonly restartFallbackMs?: number
  /** Default 'relay' (residency guarantee 1). */
  readonly iceTransportPolicy?: 'all' | 'relay'
  readonly bindAddress?: string
}

export type NodePeerLinkEvents = {
  /** A data channel of the current connection (again after every rebuild). */
  channel: [label: string, channel: NdcDataChannel]
  state: [string]
  /** The connection was rebuilt on new ICE servers (why: the ice-restart reason, `remote-restart` or `reconnected`). */
  rebuilt: [reason: IceRestartMessage['reason'] | 'remote-restart' | 'reconnected']
  key: [payload: string]
  error: [Error]
  close: []
}

/** node-datachannel TURN servers from the protocol's ICE servers (turn: UDP/TCP, turns: TLS). */
export function ndcIceServers(servers: readonly IceServerShape[]): NdcIceServer[] {
  const out: NdcIceServer[] = []
  for (const s of servers) {
    for (const url of s.urls) {
      const m = /^(turns?):(\[[^\]]+\]|[^:?]+):(\d+)(?:\?transport=(udp|tcp))?$/.exec(url)
      if (!m) continue
      const relayType = m[1] === 'turns' ? 'TurnTls' : m[4] === 'tcp' ? 'TurnTcp' : 'TurnUdp'
      out.push({
        hostname: m[2]!.replace(/^\[|\]$/g, ''), port: Number(m[3]), relayType,
        ...(s.username === undefined ? {} : { username: s.username }),
        ...(s.credential === undefined ? {} : { password: s.credential }),
      })
    }
  }
  return out
}

export class NodePeerLink extends TypedEmitter<NodePeerLinkEvents> {
  readonly remote: string
  readonly #client: SignalClient
  readonly #options: NodePeerLinkOptions
  readonly #polite: boolean
  #pc: NdcPeerConnection | undefined
  /** The connection being replaced, kept while it is still connected and the new one is not yet. */
  #previous: NdcPeerConnection | undefined
  #generation = 0
  /** The ICE servers the current connection was built with (the signaling client's list, by identity). */
  #builtWith: readonly IceServerShape[] | undefined
  /** The current connection answers the other side's rebuild and has not connected yet. */
  #following = false
  /** The polite side after an `ice-restart`: offers itself when this fires before the other side's offer came. */
  #fallback: ReturnType<typeof setTimeout> | undefined
  #askedForServers = false
  #closed = false
  readonly #off: Array<() => void> = []
  /** Every connection built and not yet reported closed: node-datachannel's `cleanup()` must wait for them. */
  readonly #unreleased = new Set<NdcPeerConnection>()
  /**
   * Every data channel made, kept reachable until its 'closed' callback ran: node-datachannel
   * 0.33's DataChannel destructor does not take the channel out of the registry `cleanup()`
   * walks, so one garbage-collected before it closed leaves a dangling pointer there and
   * `cleanup()` crashes the process (seen after repeated failovers). A caller that sets its
   * own `onClosed` replaces ours; the channel then stays here until the link is dropped.
   */
  readonly #channels = new Set<NdcDataChannel>()
  #onReleased: Array<() => void> = []

  constructor(client: SignalClient, options: NodePeerLinkOptions) {
    super()
    this.#client = client
    this.#options = options
    this.remote = options.remote
    this.#polite = options.polite ?? (client.participantId ?? '') > options.remote
    this.#listen('signal', (m: SignalFromMessage) => { if (m.from === this.remote) this.#onSignal(m) })
    this.#listen('ice-restart', (m: IceRestartMessage) => this.#onIceRestart(m))
    this.#listen('reconnected', (_w: WelcomeMessage) => { if (this.#pc?.state() !== 'connected') this.#rebuild('reconnected', true) })
  }

  /** Builds the first connection (and offers, if `offer`): call it once the `channel` listener is on. Idempotent. */
  start(): this {
    if (this.#pc === undefined && !this.#closed) this.#build(this.#options.offer)
    return this
  }

  /** The current peer connection (replaced on every rebuild); undefined before `start()`. */
  get pc(): NdcPeerConnection | undefined { return this.#pc }
  get closed(): boolean { return this.#closed }

  sendKey(sealed: string): void { this.#client.sendKey(this.remote, sealed) }

  /**
   * Resolves once every connection this link built (the replaced ones too) has reported
   * `closed`, or after `timeoutMs`. Await it after `close()` before node-datachannel's
   * `cleanup()`: cleaning up while libdatachannel still finishes a connection on its threads
   * can crash the process.
   */
  released(timeoutMs = 5000): Promise<void> {
    if (this.#unreleased.size === 0) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs)
      const self = this
      function done(): void {
        clearTimeout(timer)
        self.#onReleased = self.#onReleased.filter((f) => f !== done)
        resolve()
      }
      this.#onReleased.push(done)
    })
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#cancelFallback()
    for (const off of this.#off.splice(0)) off()
    this.#previous?.close()
    this.#previous = undefined
    this.#pc?.close()
    this.emit('close')
  }

  #listen<A extends unknown[]>(event: 'signal' | 'ice-restart' | 'reconnected', listener: (...args: A) => void): void {
    const l = listener as never
    this.#client.on(event, l)
    this.#off.push(() => this.#client.off(event, l))
  }

  #build(offer: boolean): void {
    const generation = ++this.#generation
    this.#cancelFallback()
    this.#builtWith = this.#client.iceServers
    const current = () => generation === this.#generation && !this.#closed
    const pc = new this.#options.PeerConnection(`${this.remote}#${generation}`, {
      iceServers: ndcIceServers(this.#client.iceServers),
      iceTransportPolicy: this.#options.iceTransportPolicy ?? 'relay',
      // Offers and answers only when we say: a pre-negotiated channel must not start an offer on its own.
      disableAutoNegotiation: true,
      ...(this.#options.bindAddress === undefined ? {} : { bindAddress: this.#options.bindAddress }),
    })
    this.#pc = pc
    this.#unreleased.add(pc)
    pc.onLocalDescription((sdp, type) => {
      if (!current()) return
      const declare = { dataChannels: this.#options.channels.map((c) => ({ label: c.label })) }
      this.#send(() => (type === 'offer' ? this.#client.offer(this.remote, sdp, declare) : this.#client.answer(this.remote, sdp, declare)))
    })
    pc.onLocalCandidate((candidate, mid) => { if (current()) this.#send(() => this.#client.ice(this.remote, { candidate, sdpMid: mid })) })
    pc.onStateChange((state) => {
      if (state === 'closed') this.#release(pc)
      if (!current()) return
      this.emit('state', state)
      if (state === 'connected') {
        this.#askedForServers = false
        this.#following = false
        // The new connection carries the call now: the one it replaced can go (not from inside a
        // native callback: libdatachannel may still be delivering on it).
        const previous = this.#previous
        this.#previous = undefined
        if (previous !== undefined) setTimeout(() => previous.close(), 0)
      }
      // No ICE restart here: ask for fresh servers; the answering ice-restart rebuilds.
      if (state === 'failed') this.#askForServers()
    })
    for (const c of this.#options.channels) {
      const dc = pc.createDataChannel(c.label, { negotiated: true, id: c.id })
      this.#channels.add(dc)
      dc.onClosed(() => { this.#channels.delete(dc) })
      this.emit('channel', c.label, dc)
    }
    if (offer) pc.setLocalDescription('offer')
  }

  #release(pc: NdcPeerConnection): void {
    if (!this.#unreleased.delete(pc) || this.#unreleased.size > 0) return
    for (const done of this.#onReleased.splice(0)) done()
  }

  #onIceRestart(m: IceRestartMessage): void {
    if (this.#closed || this.#pc === undefined) return // start() builds on the servers in force
    if (!this.#polite || m.reason === 'requested') return this.#rebuild(m.reason, true)
    if (this.#builtWith === this.#client.iceServers) return // already on them
    // The other side's offer came before these servers (another control-plane node, say) and
    // we followed it on the old ones: that connection cannot connect. Offer on the new ones.
    if (this.#following && this.#pc.state() !== 'connected') return this.#rebuild(m.reason, true)
    // The other side offers; its offer rebuilds (#onSignal) on these servers. Unless it never comes.
    this.#cancelFallback()
    const generation = this.#generation
    this.#fallback = setTimeout(() => {
      this.#fallback = undefined
      if (generation === this.#generation) this.#rebuild(m.reason, true)
    }, this.#options.restartFallbackMs ?? 2000)
    ;(this.#fallback as { unref?: () => void }).unref?.()
  }

  #cancelFallback(): void {
    if (this.#fallback !== undefined) clearTimeout(this.#fallback)
    this.#fallback = undefined
  }

  #rebuild(reason: NodePeerLinkEvents['rebuilt'][0], offer: boolean): void {
    if (this.#closed) return
    const old = this.#pc
    if (old !== undefined && old.state() === 'connected') {
      this.#previous?.close()
      this.#previous = old
    } else {
      // Never connected (e.g. our side of an offer collision): it carries nothing, and the one it replaced still does.
      old?.close()
    }
    this.#build(offer)
    this.#following = reason === 'remote-restart'
    this.emit('rebuilt', reason)
  }

  #askForServers(): void {
    if (this.#askedForServers || this.#client.reconnecting || this.#client.closed) return
    this.#askedForServers = true
    this.#client.requestIceServers().catch((err: Error) => this.emit('error', err))
  }

  #send(send: () => void): void {
    if (this.#closed || this.#client.reconnecting || this.#client.closed) return
    send()
  }

  #onSignal(m: SignalFromMessage): void {
    if (this.#closed) return
    // An offer before start(): answer it (we were called); anything else has nothing to apply to yet.
    if (this.#pc === undefined) {
      if (m.kind !== 'offer') return
      this.#build(false)
    }
    const pc = this.#pc!
    try {
      switch (m.kind) {
        case 'offer': {
          const signaling = pc.signalingState()
          if (signaling === 'have-local-offer') {
            if (!this.#polite) return // collision: the impolite side's offer wins
            this.#rebuild('remote-restart', false)
          } else if (pc.remoteDescription() !== null || this.#builtWith !== this.#client.iceServers) {
            // Already negotiated (the other side rebuilt its connection), or built on servers no
            // longer in force (an ice-restart came before any offer): follow with a new one.
            this.#rebuild('remote-restart', false)
          }
          this.#pc!.setRemoteDescription(m.payload, 'offer')
          this.#pc!.setLocalDescription('answer')
          return
        }
        case 'answer':
          if (pc.signalingState() === 'have-local-offer') pc.setRemoteDescription(m.payload, 'answer')
          return
        case 'ice': {
          if (m.payload === '' || pc.remoteDescription() === null) return
          const c = JSON.parse(m.payload) as { candidate?: unknown; sdpMid?: unknown }
          if (typeof c.candidate === 'string' && typeof c.sdpMid === 'string') pc.addRemoteCandidate(c.candidate, c.sdpMid)
          return
        }
        case 'key':
          this.emit('key', m.payload)
          return
      }
    } catch (err) {
      // A candidate of a connection the other side already replaced does not apply here.
      if (m.kind !== 'ice') this.emit('error', err as Error)
    }
  }
}
