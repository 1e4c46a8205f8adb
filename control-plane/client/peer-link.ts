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
 * A remote that cannot restart ICE (node-datachannel) builds a new connection instead,
 * with a new DTLS certificate: its next offer or answer carries a new fingerprint, which
 * our connection's DTLS and SCTP state cannot follow. The link then follows it with a new
 * RTCPeerConnection of its own (same servers, same policy, the same data channels and
 * tracks re-created on it: `datachannel` fires again for each), make before break as
 * NodePeerLink does, and from then on restarts by rebuilding too (PROTOCOL.md, "Failover:
 * a peer that rebuilds"): the side that rebuilds offers.
 *
 * Browser only (RTCPeerConnection is injected for tests and other stacks with the same
 * API).
 *
 *   const link = new PeerLink(client, { remote: 'p_bob' })
 *   const chat = link.createDataChannel('chat')
 *   link.on('state', (s) => ...)
 */
import type { SignalFromMessage, IceServerShape, IceRestartMessage, WelcomeMessage } from '../protocol/server-messages.js'
import type { TrackDeclarationShape } from '../protocol/common.js'
import type { SignalClient } from './signal-client.js'
import { dtlsFingerprint, remoteRebuilt } from './dtls-fingerprint.js'
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
  /** Polite side, remote known to rebuild: how long to wait for its offer after an `ice-restart` before rebuilding and offering ourselves (default 2000 ms). */
  readonly rebuildFallbackMs?: number
  /** How long an offer or answer waits for our candidates to be gathered into it (default 3000 ms; later ones trickle). */
  readonly gatherMs?: number
  /** A new connection not connected this long after its first remote description is replaced (default 3000 ms, doubled for each replacement in a row). */
  readonly stalledMs?: number
}

export type PeerLinkEvents = {
  /** RTCPeerConnection.connectionState changed. */
  state: [RTCPeerConnectionState]
  /** A channel the remote opened; and, after a rebuild, each of our own channels re-created on the new connection. */
  datachannel: [RTCDataChannel]
  track: [RTCTrackEvent]
  /** e2ee mode: an opaque sealed key message from the remote participant. */
  key: [payload: string]
  /** New ICE servers were applied and ICE restarted (why: the `ice-restart` reason, or `reconnected`). */
  'ice-restart': [reason: IceRestartMessage['reason'] | 'reconnected']
  /** `pc` was replaced by a new connection (why: the remote rebuilt, `remote-restart`, or we did, to restart ICE with such a remote). */
  rebuilt: [reason: IceRestartMessage['reason'] | 'reconnected' | 'remote-restart' | 'stalled']
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
  readonly #client: SignalClient
  readonly #polite: boolean
  readonly #PC: typeof RTCPeerConnection
  readonly #policy: RTCIceTransportPolicy
  readonly #fallbackMs: number
  readonly #gatherMs: number
  readonly #stalledMs: number
  /** Our own data channels and tracks, re-created on a rebuilt connection. */
  readonly #channels = new Map<string, RTCDataChannelInit | undefined>()
  readonly #tracks: Array<{ kind: TrackDeclarationShape['kind']; track: MediaStreamTrack; streams: MediaStream[] }> = []
  #pc!: RTCPeerConnection
  /** The connection being replaced, kept while it is still connected and the new one is not yet. */
  #previous: RTCPeerConnection | undefined
  #generation = 0
  /** The fingerprint of the remote description `pc` negotiated with (none yet: a fresh one); a different one means the remote rebuilt. */
  #remoteFingerprint: string | undefined
  /** The remote rebuilt at least once (it cannot restart ICE): we restart by rebuilding too. */
  #remoteRebuilds = false
  /** Remote candidates that arrived before the remote description they belong to (applied after it). */
  #early: RTCIceCandidateInit[] = []
  #fallback: ReturnType<typeof setTimeout> | undefined
  /** New connections replaced in a row for not connecting (the next one waits twice as long). */
  #stalls = 0
  /** An offer or answer is gathering: its candidates go in it, not ahead of it. */
  #describing = false
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
    this.#PC = options.RTCPeerConnection ?? globalThis.RTCPeerConnection
    this.#policy = options.iceTransportPolicy ?? 'relay'
    this.#fallbackMs = options.rebuildFallbackMs ?? 2000
    this.#gatherMs = options.gatherMs ?? 3000
    this.#stalledMs = options.stalledMs ?? 3000
    this.#build(rtcIceServers(client.iceServers))

    this.#listen(client, 'signal', (m: SignalFromMessage) => { if (m.from === this.remote) this.#enqueue(() => this.#onSignal(m)) })
    this.#listen(client, 'ice-restart', (m: IceRestartMessage) => this.#restart(m.iceServers, m.reason))
    // After a signaling reconnect, anything in flight may be lost: take the fresh servers, and restart ICE unless media still flows.
    this.#listen(client, 'reconnected', (w: WelcomeMessage) => {
      const flowing = this.#pc.iceConnectionState === 'connected' || this.#pc.iceConnectionState === 'completed'
      if (flowing && this.#pc.signalingState === 'stable') this.#configure(w.iceServers)
      else this.#restart(w.iceServers, 'reconnected')
    })
  }

  /** The current peer connection (replaced when the remote rebuilds: see `rebuilt`). */
  get pc(): RTCPeerConnection { return this.#pc }
  get closed(): boolean { return this.#closed }

  /** A data channel, declared in every offer (the server checks `file:` labels against the file-transfer right); re-created after a rebuild. */
  createDataChannel(label: string, init?: RTCDataChannelInit): RTCDataChannel {
    this.#channels.set(label, init)
    return this.#pc.createDataChannel(label, init)
  }

  /** A media track, declared in every offer; `screen` marks a screen share (the server checks the right); added again after a rebuild. */
  addTrack(track: MediaStreamTrack, kind: TrackDeclarationShape['kind'] = track.kind === 'audio' ? 'audio' : 'video', ...streams: MediaStream[]): RTCRtpSender {
    this.#tracks.push({ kind, track, streams })
    return this.#pc.addTrack(track, ...streams)
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
    clearTimeout(this.#fallback)
    for (const off of this.#off.splice(0)) off()
    this.#previous?.close()
    this.#previous = undefined
    this.#pc.close()
    this.emit('close')
  }

  // ---- internals ---------------------------------------------------------------------

  #listen<A extends unknown[]>(client: SignalClient, event: 'signal' | 'ice-restart' | 'reconnected', listener: (...args: A) => void): void {
    const l = listener as never
    client.on(event, l)
    this.#off.push(() => client.off(event, l))
  }

  /** A new RTCPeerConnection as `pc`; events of a replaced one are ignored (except its close, once the new one connects). */
  #build(iceServers: RTCIceServer[]): void {
    const generation = ++this.#generation
    const current = () => generation === this.#generation && !this.#closed
    const pc = new this.#PC({ iceServers, iceTransportPolicy: this.#policy })
    this.#pc = pc
    this.#remoteFingerprint = undefined
    this.#early = []
    this.#describing = false
    this.#makingOffer = false
    this.#ignoreOffer = false
    pc.onicecandidate = ({ candidate }) => { if (current() && !this.#describing) this.#signal(() => this.#client.ice(this.remote, candidate ? candidate.toJSON() : null)) }
    pc.onnegotiationneeded = () => { if (current() && pc.signalingState === 'stable') void this.#offer() }
    pc.ondatachannel = (e) => { if (current()) this.emit('datachannel', e.channel) }
    pc.ontrack = (e) => { if (current()) this.emit('track', e) }
    pc.onconnectionstatechange = () => {
      if (!current()) return
      const state = pc.connectionState
      this.emit('state', state)
      if (state === 'connected') {
        this.#askedForServers = false
        this.#stalls = 0
        // The new connection carries the call now: the one it replaced can go.
        this.#previous?.close()
        this.#previous = undefined
      }
    }
    // RFC 8445 §8.1: every pair failed. The relays we hold may be gone: ask for fresh ones (once per failure).
    pc.oniceconnectionstatechange = () => {
      if (current() && pc.iceConnectionState === 'failed') this.#askForServers()
    }
  }

  /**
   * Replaces `pc` with a new connection on the servers in force, with our channels and
   * tracks on it. Make before break: a connected one stays until the new one connects.
   */
  #rebuild(reason: PeerLinkEvents['rebuilt'][0]): void {
    clearTimeout(this.#fallback)
    this.#fallback = undefined
    const old = this.#pc
    if (old.connectionState === 'connected') {
      this.#previous?.close()
      this.#previous = old
    } else {
      old.close()
    }
    this.#build(old.getConfiguration().iceServers ?? [])
    this.emit('rebuilt', reason)
    for (const [label, init] of this.#channels) this.emit('datachannel', this.#pc.createDataChannel(label, init))
    for (const { track, streams } of this.#tracks) this.#pc.addTrack(track, ...streams)
  }

  #configure(servers: readonly IceServerShape[]): void {
    this.#pc.setConfiguration({ ...this.#pc.getConfiguration(), iceServers: rtcIceServers(servers) })
  }

  #restart(servers: readonly IceServerShape[], reason: IceRestartMessage['reason'] | 'reconnected'): void {
    if (this.#closed) return
    this.#configure(servers)
    this.emit('ice-restart', reason)
    if (!this.#remoteRebuilds) {
      // Fires negotiationneeded: the next offer carries a new ufrag/pwd and gathers on the new relays.
      this.#pc.restartIce()
      return
    }
    // The remote cannot answer an ICE restart on this DTLS session: one side rebuilds and
    // offers. The impolite side does at once; the polite side waits for that offer, and
    // rebuilds and offers itself if none came (the remote did not hear of the restart).
    const generation = this.#generation
    const rebuild = () => this.#enqueue(async () => {
      if (this.#closed || generation !== this.#generation) return
      this.#rebuild(reason)
      await this.#offer()
    })
    clearTimeout(this.#fallback)
    if (this.#polite) this.#fallback = setTimeout(rebuild, this.#fallbackMs)
    else rebuild()
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
    if (this.#closed || this.#makingOffer) return
    const pc = this.#pc
    try {
      this.#makingOffer = true
      const sdp = await this.#describe(pc)
      // Meanwhile a remote offer may have won (we were polite): then our description is the answer to it, sent there.
      if (sdp === undefined || pc !== this.#pc || pc.localDescription?.type !== 'offer' || pc.signalingState !== 'have-local-offer') return
      this.#signal(() => this.#client.offer(this.remote, sdp, this.#declarations()))
    } catch (err) {
      this.emit('error', err as Error)
    } finally {
      if (pc === this.#pc) this.#makingOffer = false
    }
  }

  #declarations(): { tracks?: TrackDeclarationShape[]; dataChannels?: Array<{ label: string }> } {
    return {
      ...(this.#tracks.length > 0 ? { tracks: this.#tracks.map(({ kind }) => ({ kind })) } : {}),
      ...(this.#channels.size > 0 ? { dataChannels: [...this.#channels.keys()].map((label) => ({ label })) } : {}),
    }
  }

  async #applyRemote(description: RTCSessionDescriptionInit): Promise<void> {
    const pc = this.#pc
    const fresh = pc.remoteDescription == null && pc.connectionState !== 'connected'
    await pc.setRemoteDescription(description)
    if (fresh) this.#watchStall(pc)
    this.#remoteFingerprint = dtlsFingerprint(description.sdp ?? '') ?? this.#remoteFingerprint
    for (const candidate of this.#early.splice(0)) await this.#pc.addIceCandidate(candidate).catch(() => { /* of an earlier description */ })
  }

  /**
   * A new connection that has not connected `stalledMs` after its first remote description
   * is replaced by another, offered. Seen with libjuice (node-datachannel): ICE "completed"
   * but its DTLS sent from its host socket, not its relay (dropped: no permission), or ICE
   * never connecting after two rebuilds in quick succession; a new connection on both
   * sides gets new allocations and a new pair.
   */
  #watchStall(pc: RTCPeerConnection): void {
    setTimeout(() => this.#enqueue(async () => {
      if (pc !== this.#pc || this.#closed || pc.connectionState === 'connected' || pc.connectionState === 'closed') return
      this.#stalls++
      this.#rebuild('stalled')
      await this.#offer()
    }), this.#stalledMs * 2 ** Math.min(this.#stalls, 4))
  }

  async #answer(): Promise<void> {
    const pc = this.#pc
    const sdp = await this.#describe(pc)
    if (sdp !== undefined && pc === this.#pc && pc.localDescription?.type === 'answer') this.#signal(() => this.#client.answer(this.remote, sdp, this.#declarations()))
  }

  /**
   * Sets the local description and, for a new connection, waits (up to `gatherMs`) until
   * our candidates are in it: the remote then has them with the description, before our connectivity checks can
   * reach it. Trickled ones can arrive after the checks, and a remote that meets a check
   * from an address it was not told of pairs it as peer-reflexive (RFC 8445 §7.3.1.3):
   * libjuice (node-datachannel) then answered from its host socket, not its relay, and the
   * relay dropped it (no permission), so the connection never came up. Candidates
   * gathered later still trickle.
   */
  async #describe(pc: RTCPeerConnection): Promise<string | undefined> {
    // Only a connection's first description: an ICE restart of an established one trickles,
    // as waiting there lengthened a browser-to-browser failover by ~1.6 s (the remote then
    // is a browser, or a node-datachannel peer that rebuilds, answered by a new connection).
    const first = pc.currentLocalDescription == null
    this.#describing = first
    try {
      await pc.setLocalDescription()
      if (first && pc.iceGatheringState !== 'complete') {
        await new Promise<void>((resolve) => {
          const done = () => { clearTimeout(timer); pc.removeEventListener('icegatheringstatechange', check); resolve() }
          const check = () => { if (pc.iceGatheringState === 'complete' || pc !== this.#pc || this.#closed) done() }
          const timer = setTimeout(done, this.#gatherMs)
          pc.addEventListener('icegatheringstatechange', check)
        })
      }
      return pc.localDescription?.sdp
    } finally {
      if (pc === this.#pc) this.#describing = false
    }
  }

  async #onSignal(m: SignalFromMessage): Promise<void> {
    if (this.#closed) return
    switch (m.kind) {
      case 'offer': {
        const collision = this.#makingOffer || this.#pc.signalingState !== 'stable'
        this.#ignoreOffer = !this.#polite && collision
        if (this.#ignoreOffer) return
        if (remoteRebuilt(this.#remoteFingerprint, m.payload)) {
          // The remote built a new connection: follow it with one of ours (ours keeps DTLS and SCTP state it no longer has).
          this.#remoteRebuilds = true
          this.#rebuild('remote-restart')
        }
        clearTimeout(this.#fallback)
        this.#fallback = undefined
        await this.#applyRemote({ type: 'offer', sdp: m.payload })
        await this.#answer()
        return
      }
      case 'answer': {
        if (this.#pc.signalingState !== 'have-local-offer') return // for a connection we replaced
        if (remoteRebuilt(this.#remoteFingerprint, m.payload)) {
          // Our ICE restart was answered by a connection the remote built for it: this DTLS session
          // cannot carry on with it. The side that rebuilds offers: rebuild, and offer again.
          this.#remoteRebuilds = true
          this.#rebuild('remote-restart')
          await this.#offer()
          return
        }
        await this.#applyRemote({ type: 'answer', sdp: m.payload })
        return
      }
      case 'ice': {
        const candidate = m.payload === '' ? undefined : (JSON.parse(m.payload) as RTCIceCandidateInit)
        // A candidate can overtake the description it belongs to (the remote sends them from different threads): keep it for then.
        if (this.#pc.remoteDescription === null) {
          if (candidate !== undefined) this.#early.push(candidate)
          return
        }
        try {
          await this.#pc.addIceCandidate(candidate)
        } catch (err) {
          // Candidates of an offer we ignored (collision, impolite side), or of a connection the remote replaced, are expected to fail.
          if (!this.#ignoreOffer && !this.#remoteRebuilds) throw err
        }
        return
      }
      case 'key':
        this.emit('key', m.payload)
        return
    }
  }
}
