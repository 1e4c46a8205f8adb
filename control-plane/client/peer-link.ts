/**
 * One WebRTC peer connection to one other participant, wired to the signaling client:
 * offers, answers and trickled candidates travel as `signal` messages; the relays come
 * from the control plane (relay-only by default, so media never takes a path outside the
 * meeting's allowed relays); failover is applied as the protocol asks (PROTOCOL.md,
 * "Failover"): an `ice-restart` replaces the ICE servers (`setConfiguration`) and restarts
 * ICE (`restartIce()`, RFC 8445 §9), and when our own ICE fails we ask for fresh servers.
 *
 * Negotiation follows the W3C "perfect negotiation" pattern (WebRTC 1.0 §10.7): either
 * side may (re)offer at any time, e.g. both restarting ICE after the same relay died; the
 * polite side (the larger participant id, unless told) yields on a collision.
 *
 * Browser only (RTCPeerConnection is injected for tests and other stacks with the same
 * API); a stack without ICE restart, such as node-datachannel, builds a new connection.
 *
 *   const link = new PeerLink(client, { remote: 'p_bob' })
 *   const chat = link.createDataChannel('chat')
 *   link.on('state', (s) => ...)
 */
import type { SignalFromMessage, IceServerShape, IceRestartMessage, WelcomeMessage } from '../protocol/server-messages.js'
import type { TrackDeclarationShape } from '../protocol/common.js'
import type { SignalClient } from './signal-client.js'
import { TypedEmitter } from './typed-emitter.js'

export interface PeerLinkOptions {
  /** The other participant's id. */
  readonly remote: string
  /** Yields on an offer collision; default: our participant id sorts after the remote's. */
  readonly polite?: boolean
  /** Default 'relay': candidates only through the meeting's relays (residency guarantee 1). */
  readonly iceTransportPolicy?: RTCIceTransportPolicy
  /** Default globalThis.RTCPeerConnection. */
  readonly RTCPeerConnection?: typeof RTCPeerConnection
}

export type PeerLinkEvents = {
  /** RTCPeerConnection.connectionState changed. */
  state: [RTCPeerConnectionState]
  datachannel: [RTCDataChannel]
  track: [RTCTrackEvent]
  /** e2ee mode: an opaque sealed key message from the remote participant. */
  key: [payload: string]
  /** New ICE servers were applied and ICE restarted (why: the `ice-restart` reason, or `reconnected`). */
  'ice-restart': [reason: IceRestartMessage['reason'] | 'reconnected']
  /** Something went wrong that the link could not handle itself (negotiation, or no relay left). */
  error: [Error]
  close: []
}

/** RTCIceServer entries from the protocol's ICE servers. */
export function rtcIceServers(servers: readonly IceServerShape[]): RTCIceServer[] {
  return servers.map((s) => ({
    urls: [...s.urls],
    ...(s.username === undefined ? {} : { username: s.username }),
    ...(s.credential === undefined ? {} : { credential: s.credential }),
  }))
}

export class PeerLink extends TypedEmitter<PeerLinkEvents> {
  readonly remote: string
  readonly pc: RTCPeerConnection
  readonly #client: SignalClient
  readonly #polite: boolean
  readonly #channels = new Set<string>()
  readonly #tracks: TrackDeclarationShape[] = []
  #makingOffer = false
  #ignoreOffer = false
  #askedForServers = false
  #closed = false
  /** Serializes the handling of signals: SDP must be applied in arrival order. */
  #queue: Promise<void> = Promise.resolve()
  readonly #off: Array<() => void> = []

  constructor(client: SignalClient, options: PeerLinkOptions) {
    super()
    this.#client = client
    this.remote = options.remote
    const local = client.participantId ?? ''
    this.#polite = options.polite ?? local > options.remote
    const PC = options.RTCPeerConnection ?? globalThis.RTCPeerConnection
    this.pc = new PC({ iceServers: rtcIceServers(client.iceServers), iceTransportPolicy: options.iceTransportPolicy ?? 'relay' })

    this.pc.onicecandidate = ({ candidate }) => this.#signal(() => this.#client.ice(this.remote, candidate ? candidate.toJSON() : null))
    this.pc.onnegotiationneeded = () => { void this.#offer() }
    this.pc.ondatachannel = (e) => this.emit('datachannel', e.channel)
    this.pc.ontrack = (e) => this.emit('track', e)
    this.pc.onconnectionstatechange = () => {
      const state = this.pc.connectionState
      this.emit('state', state)
      if (state === 'connected') this.#askedForServers = false
    }
    // RFC 8445 §8.1: every pair failed. The relays we hold may be gone: ask for fresh ones (once per failure).
    this.pc.oniceconnectionstatechange = () => {
      if (this.pc.iceConnectionState === 'failed') this.#askForServers()
    }

    this.#listen(client, 'signal', (m: SignalFromMessage) => { if (m.from === this.remote) this.#enqueue(() => this.#onSignal(m)) })
    this.#listen(client, 'ice-restart', (m: IceRestartMessage) => this.#restart(m.iceServers, m.reason))
    // After a signaling reconnect, anything in flight may be lost: take the fresh servers, and restart ICE unless media still flows.
    this.#listen(client, 'reconnected', (w: WelcomeMessage) => {
      const flowing = this.pc.iceConnectionState === 'connected' || this.pc.iceConnectionState === 'completed'
      if (flowing && this.pc.signalingState === 'stable') this.#configure(w.iceServers)
      else this.#restart(w.iceServers, 'reconnected')
    })
  }

  get closed(): boolean { return this.#closed }

  /** A data channel, declared in every offer (the server checks `file:` labels against the file-transfer right). */
  createDataChannel(label: string, init?: RTCDataChannelInit): RTCDataChannel {
    this.#channels.add(label)
    return this.pc.createDataChannel(label, init)
  }

  /** A media track, declared in every offer; `screen` marks a screen share (the server checks the right). */
  addTrack(track: MediaStreamTrack, kind: TrackDeclarationShape['kind'] = track.kind === 'audio' ? 'audio' : 'video', ...streams: MediaStream[]): RTCRtpSender {
    this.#tracks.push({ kind })
    return this.pc.addTrack(track, ...streams)
  }

  /** e2ee mode: an opaque, already-sealed key message to the remote participant. */
  sendKey(sealed: string): void {
    this.#client.sendKey(this.remote, sealed)
  }

  /**
   * A signal from the remote that arrived before this link existed: an app that creates the
   * link inside its own `signal` listener hands it that first signal (a listener added
   * during an emit does not receive it).
   */
  handleSignal(m: SignalFromMessage): void {
    if (m.from === this.remote) this.#enqueue(() => this.#onSignal(m))
  }

  /** Restarts ICE now, with the servers in force (or these). */
  restartIce(servers: readonly IceServerShape[] = this.#client.iceServers): void {
    this.#restart(servers, 'requested')
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    for (const off of this.#off.splice(0)) off()
    this.pc.close()
    this.emit('close')
  }

  // ---- internals ---------------------------------------------------------------------

  #listen<A extends unknown[]>(client: SignalClient, event: 'signal' | 'ice-restart' | 'reconnected', listener: (...args: A) => void): void {
    const l = listener as never
    client.on(event, l)
    this.#off.push(() => client.off(event, l))
  }

  #configure(servers: readonly IceServerShape[]): void {
    this.pc.setConfiguration({ ...this.pc.getConfiguration(), iceServers: rtcIceServers(servers) })
  }

  #restart(servers: readonly IceServerShape[], reason: IceRestartMessage['reason'] | 'reconnected'): void {
    if (this.#closed) return
    this.#configure(servers)
    // Fires negotiationneeded: the next offer carries a new ufrag/pwd and gathers on the new relays.
    this.pc.restartIce()
    this.emit('ice-restart', reason)
  }

  #askForServers(): void {
    if (this.#askedForServers || this.#closed || this.#client.reconnecting) return
    this.#askedForServers = true
    // The answer arrives as an `ice-restart` event, handled above; a refusal (no relay left) is the app's to show.
    this.#client.requestIceServers().catch((err: Error) => this.emit('error', err))
  }

  /** Sends unless the signaling client is between sockets: after `reconnected`, ICE restarts and renegotiates anyway. */
  #signal(send: () => void): void {
    if (this.#closed || this.#client.reconnecting || this.#client.closed) return
    send()
  }

  #enqueue(step: () => Promise<void>): void {
    this.#queue = this.#queue.then(step).catch((err: Error) => { this.emit('error', err) })
  }

  async #offer(): Promise<void> {
    if (this.#closed) return
    try {
      this.#makingOffer = true
      await this.pc.setLocalDescription()
      const sdp = this.pc.localDescription?.sdp
      if (sdp === undefined) return
      this.#signal(() => this.#client.offer(this.remote, sdp, this.#declarations()))
    } catch (err) {
      this.emit('error', err as Error)
    } finally {
      this.#makingOffer = false
    }
  }

  #declarations(): { tracks?: TrackDeclarationShape[]; dataChannels?: Array<{ label: string }> } {
    return {
      ...(this.#tracks.length > 0 ? { tracks: [...this.#tracks] } : {}),
      ...(this.#channels.size > 0 ? { dataChannels: [...this.#channels].map((label) => ({ label })) } : {}),
    }
  }

  async #onSignal(m: SignalFromMessage): Promise<void> {
    if (this.#closed) return
    switch (m.kind) {
      case 'offer':
      case 'answer': {
        const collision = m.kind === 'offer' && (this.#makingOffer || this.pc.signalingState !== 'stable')
        this.#ignoreOffer = !this.#polite && collision
        if (this.#ignoreOffer) return
        await this.pc.setRemoteDescription({ type: m.kind, sdp: m.payload })
        if (m.kind === 'offer') {
          await this.pc.setLocalDescription()
          const sdp = this.pc.localDescription?.sdp
          if (sdp !== undefined) this.#signal(() => this.#client.answer(this.remote, sdp, this.#declarations()))
        }
        return
      }
      case 'ice': {
        try {
          await this.pc.addIceCandidate(m.payload === '' ? undefined : (JSON.parse(m.payload) as RTCIceCandidateInit))
        } catch (err) {
          // Candidates of an offer we ignored (collision, impolite side) are expected to fail.
          if (!this.#ignoreOffer) throw err
        }
        return
      }
      case 'key':
        this.emit('key', m.payload)
        return
    }
  }
}
