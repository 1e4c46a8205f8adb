/**
 * A typed client for sovereign.signal.v1, for Node and browsers: the WebSocket
 * constructor is the platform's own (`globalThis.WebSocket`: browsers, Node 22+) unless one
 * is injected (`ws`, to pick a local address, say), so this
 * file imports nothing platform-specific. Every frame is validated on the way out and on
 * the way in with the protocol's schemas (interpreted, no eval: fine under a strict CSP).
 *
 * When the connection or its control-plane node goes away after a welcome, the client
 * reconnects to the home region (the URL that welcomed it; a `redirect` is followed again)
 * with jittered, capped exponential backoff and joins again with the same identity, which
 * the server maps to the same participant id: the seat is kept and the session resumes
 * (`reconnecting`, then `reconnected` with the new welcome). Final closes (removed, ended,
 * replaced, denied, ...) are never retried: see reconnect-policy.ts.
 *
 *   const client = SignalClient.connect(url, { WebSocket, token, passcode })
 *   const result = await client.joined          // welcome | waiting | denied | redirect | closed
 *   client.on('signal', (m) => ...)
 *   client.offer('p_x', sdp, { tracks: [{ kind: 'video' }] })
 *   await client.close()
 */
import type { RequestMessage, RequestName, SignalSdpMessage, ClientMessageShape } from '../protocol/client-messages.js'
import type { CapabilityName, ParticipantSummaryShape, SealedKeyMessage } from '../protocol/common.js'
import { decodeServerMessage, encodeClientMessage } from '../protocol/codec.js'
import { CLOSE_CODES, type ErrorCode } from '../protocol/error-codes.js'
import type {
  DeniedMessage, ErrorMessageShape, IceRestartMessage, IceServerShape, RedirectMessage, ServerMessageOf, ServerMessageShape,
  SignalFromMessage, WaitReason, WaitingMessage, WelcomeMessage,
} from '../protocol/server-messages.js'
import { PROTOCOL_MINOR, SUBPROTOCOL } from '../protocol/version.js'
import { KeyOpenError, openMediaKey, type ParticipantKeyPair } from './open-key.js'
import { reconnectDelay, shouldReconnect, type ReconnectOptions } from './reconnect-policy.js'
import { TypedEmitter } from './typed-emitter.js'

/** The part of the WHATWG WebSocket interface we use; `ws` and browsers both provide it. */
export interface WebSocketLike {
  readonly readyState: number
  readonly protocol: string
  send(data: string): void
  close(code?: number, reason?: string): void
  addEventListener(type: 'open' | 'error', listener: (event: unknown) => void): void
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void
  addEventListener(type: 'close', listener: (event: { code: number; reason: string }) => void): void
}
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike

const OPEN = 1
const CLOSED = 3

export interface ConnectOptions {
  /** Default: the platform's own `globalThis.WebSocket` (browsers; Node 22 and later). */
  readonly WebSocket?: WebSocketConstructor
  readonly token: string
  readonly passcode?: string
  readonly displayName?: string
  /** Managed key mode: its public half goes in `join`; sealed media keys are opened with it. */
  readonly keyPair?: ParticipantKeyPair
  /** Follow one `redirect` to the meeting's home region automatically (default true). Never more than one. */
  readonly followRedirect?: boolean
  readonly clientInfo?: { readonly name: string; readonly version: string }
  /** Reconnect after the connection or the node went away, once welcomed (default on, see reconnect-policy.ts); `false`: never. */
  readonly reconnect?: ReconnectOptions | false
  /** A fresh participant token before each reconnect attempt (the first one may have expired by then). */
  readonly refreshToken?: () => Promise<string>
}

export type JoinResult =
  | { readonly kind: 'welcome'; readonly welcome: WelcomeMessage }
  | { readonly kind: 'waiting'; readonly participantId: string; readonly reason: WaitReason }
  | { readonly kind: 'denied'; readonly code: ErrorCode; readonly message: string }
  | { readonly kind: 'redirect'; readonly url: string; readonly region: string }
  | { readonly kind: 'closed'; readonly code: number; readonly reason: string }

export interface CloseInfo {
  readonly code: number
  readonly reason: string
}

export interface ReconnectingEvent {
  /** 1 for the first attempt after a drop, growing until one is welcomed again. */
  readonly attempt: number
  readonly delayMs: number
  /** How the previous socket closed. */
  readonly code: number
  readonly reason: string
}

export interface MediaKeyEvent {
  readonly version: number
  readonly key: Uint8Array
}

export type SignalClientEvents = {
  open: []
  welcome: [WelcomeMessage]
  waiting: [WaitingMessage]
  admitted: [participantId: string]
  denied: [DeniedMessage]
  redirect: [RedirectMessage]
  'participant-joined': [ParticipantSummaryShape]
  'participant-left': [participantId: string]
  'participant-removed': [participantId: string, by: string]
  'participant-waiting': [ParticipantSummaryShape, WaitReason]
  'participant-admitted': [participantId: string, by: string]
  signal: [SignalFromMessage]
  'media-key': [MediaKeyEvent]
  'key-rotated': [version: number]
  'key-error': [Error]
  'meeting-locked': [by: string]
  'meeting-unlocked': [by: string]
  'meeting-ended': [by: string | undefined]
  'capability-changed': [participantId: string, capabilities: CapabilityName[], by: string]
  'request-result': [ServerMessageOf<'request-result'>]
  /** v1.1: use these ICE servers from now on and restart ICE (a relay was lost or drains, or we asked). */
  'ice-restart': [IceRestartMessage]
  /** The socket dropped after a welcome; attempt `attempt` follows in `delayMs`. Sends throw ERR_CLIENT_RECONNECTING meanwhile. */
  reconnecting: [ReconnectingEvent]
  /** Welcomed again after a drop (same participant id when the seat was kept); its ICE servers are fresh. */
  reconnected: [WelcomeMessage]
  /** The server refused one of our messages; the session continues unless a close follows. */
  error: [ErrorMessageShape]
  /** The server sent something that is not sovereign.signal.v1; the client closes with 4000. */
  'protocol-error': [{ code: ErrorCode; detail: string }]
  /** Every valid server message, before its specific event (for logs and monitors). */
  message: [ServerMessageShape]
  close: [CloseInfo]
}

export class ClientClosedError extends Error {
  readonly code = 'ERR_CLIENT_CLOSED'
  override readonly name = 'ClientClosedError'
  constructor() { super('the signaling client is closed') }
}

/** A send before the socket is open (await `client.joined` first). */
export class ClientNotOpenError extends Error {
  readonly code = 'ERR_CLIENT_NOT_OPEN'
  override readonly name = 'ClientNotOpenError'
  constructor() { super('the signaling socket is not open yet: await client.joined first') }
}

/** Neither an injected WebSocket nor the platform's own (Node before 22): nothing to connect with. */
export class NoWebSocketError extends Error {
  readonly code = 'ERR_NO_WEBSOCKET'
  override readonly name = 'NoWebSocketError'
  constructor() { super('no WebSocket: pass ConnectOptions.WebSocket (e.g. the ws package) on a runtime without globalThis.WebSocket') }
}

/** A send while the client is between sockets; the session resumes at `reconnected`. */
export class ClientReconnectingError extends Error {
  readonly code = 'ERR_CLIENT_RECONNECTING'
  override readonly name = 'ClientReconnectingError'
  constructor() { super('the signaling client is reconnecting') }
}

/** A request whose answer was lost with its socket (the client reconnects; ask again after `reconnected`). */
export class ConnectionLostError extends Error {
  readonly code = 'ERR_CONNECTION_LOST'
  override readonly name = 'ConnectionLostError'
  constructor() { super('the signaling connection was lost before the answer came') }
}

/** The server refused a request with an `error` (its `re` named the request); `code` is the SR_* code. */
export class SignalRefusedError extends Error {
  override readonly name = 'SignalRefusedError'
  constructor(readonly code: ErrorCode, message: string) { super(message) }
}

interface Pending<T> { resolve: (value: T) => void; reject: (err: Error) => void }

export class SignalClient extends TypedEmitter<SignalClientEvents> {
  /** Resolves once with the first answer to `join` (after at most one followed redirect); never rejects. */
  readonly joined: Promise<JoinResult>

  readonly #options: ConnectOptions
  #socket!: WebSocketLike
  #generation = 0
  #redirects = 0
  #resolveJoined!: (result: JoinResult) => void
  #joinSettled = false
  #closed = false
  #closeEmitted = false
  #requestSeq = 0
  #welcome: WelcomeMessage | undefined
  #capabilities: CapabilityName[] = []
  #mediaKey: MediaKeyEvent | undefined
  readonly #pendingRequests = new Map<string, Pending<ServerMessageOf<'request-result'>>>()
  readonly #pendingPings = new Map<string, Pending<void>>()
  readonly #pendingIce = new Map<string, Pending<IceRestartMessage>>()
  #iceServers: readonly IceServerShape[] = []
  /** The URL the current socket was opened to, and the one that welcomed us (where a reconnect goes). */
  #url = ''
  #homeUrl = ''
  #attempt = 0
  #resuming = false
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined
  readonly #welcomeWaiters: Array<Pending<WelcomeMessage>> = []
  #closedWaiters: Array<() => void> = []

  private constructor(url: string, options: ConnectOptions) {
    super()
    this.#options = options
    this.joined = new Promise((resolve) => { this.#resolveJoined = resolve })
    this.#open(url)
  }

  static connect(url: string, options: ConnectOptions): SignalClient {
    if (options.WebSocket === undefined && platformWebSocket() === undefined) throw new NoWebSocketError()
    return new SignalClient(url, options)
  }

  get participantId(): string | undefined { return this.#welcome?.participantId }
  get welcome(): WelcomeMessage | undefined { return this.#welcome }
  get capabilities(): readonly CapabilityName[] { return this.#capabilities }
  get mediaKey(): MediaKeyEvent | undefined { return this.#mediaKey }
  get closed(): boolean { return this.#closed }
  /** Between a dropped socket and the next welcome. */
  get reconnecting(): boolean { return this.#resuming || this.#reconnectTimer !== undefined }
  /** The ICE servers in force: the welcome's, or the latest `ice-restart`'s. */
  get iceServers(): readonly IceServerShape[] { return this.#iceServers }

  /** Resolves at `welcome` (at once if already welcomed, or later when a host admits); rejects once the session has ended. */
  waitForWelcome(): Promise<WelcomeMessage> {
    if (this.#closed) return Promise.reject(new ClientClosedError())
    if (this.#welcome) return Promise.resolve(this.#welcome)
    return new Promise((resolve, reject) => this.#welcomeWaiters.push({ resolve, reject }))
  }

  // ---- signaling ---------------------------------------------------------------------

  offer(to: string, sdp: string, declare: Pick<SignalSdpMessage, 'tracks' | 'dataChannels'> = {}): void {
    this.#send({ type: 'signal', to, kind: 'offer', payload: sdp, ...declare })
  }

  answer(to: string, sdp: string, declare: Pick<SignalSdpMessage, 'tracks' | 'dataChannels'> = {}): void {
    this.#send({ type: 'signal', to, kind: 'answer', payload: sdp, ...declare })
  }

  /** One trickled candidate (RTCIceCandidateInit), or null for end-of-candidates. */
  ice(to: string, candidate: object | null): void {
    this.#send({ type: 'signal', to, kind: 'ice', payload: candidate === null ? '' : JSON.stringify(candidate) })
  }

  /** e2ee mode: an opaque, already-sealed key message for one participant or all. */
  sendKey(to: string, sealed: string): void {
    this.#send({ type: 'signal', to, kind: 'key', payload: sealed })
  }

  // ---- host commands -----------------------------------------------------------------

  admit(participantId: string): void { this.#send({ type: 'host', command: 'admit', participantId }) }
  deny(participantId: string): void { this.#send({ type: 'host', command: 'deny', participantId }) }
  remove(participantId: string): void { this.#send({ type: 'host', command: 'remove', participantId }) }
  lock(): void { this.#send({ type: 'host', command: 'lock' }) }
  unlock(): void { this.#send({ type: 'host', command: 'unlock' }) }
  end(): void { this.#send({ type: 'host', command: 'end' }) }
  grant(participantId: string, capability: CapabilityName): void { this.#send({ type: 'host', command: 'grant', participantId, capability }) }
  revoke(participantId: string, capability: CapabilityName): void { this.#send({ type: 'host', command: 'revoke', participantId, capability }) }

  /** Asks to start sharing, transferring or recording; resolves with the server's verdict. */
  request(request: RequestName): Promise<ServerMessageOf<'request-result'>> {
    const id = this.#nextId('req')
    const message: RequestMessage = { type: 'request', id, request }
    this.#send(message)
    return new Promise((resolve, reject) => this.#pendingRequests.set(id, { resolve, reject }))
  }

  /**
   * v1.1: asks for fresh ICE servers (our own ICE failed). Resolves with the answering
   * `ice-restart` (also emitted as the `ice-restart` event, which is what a peer-connection
   * helper acts on); rejects with SignalRefusedError `SR_NO_RELAY_AVAILABLE` when no relay
   * of the meeting's allowed set is live.
   */
  requestIceServers(): Promise<IceRestartMessage> {
    const id = this.#nextId('ice')
    this.#send({ type: 'ice-servers-request', id })
    return new Promise((resolve, reject) => this.#pendingIce.set(id, { resolve, reject }))
  }

  /** Round trip to the control plane; resolves at the matching pong. */
  ping(): Promise<void> {
    const nonce = this.#nextId('ping')
    this.#send({ type: 'ping', nonce })
    return new Promise((resolve, reject) => this.#pendingPings.set(nonce, { resolve, reject }))
  }

  /** Says goodbye, then closes. */
  async leave(): Promise<void> {
    if (this.#closed) return
    if (this.#socket.readyState === OPEN && !this.reconnecting) this.#send({ type: 'leave' })
    await this.close(1000, 'leave')
  }

  /** Idempotent; resolves when the socket is closed. Every method throws ClientClosedError afterwards. */
  close(code = 1000, reason = 'client closed'): Promise<void> {
    if (this.#closeEmitted) return Promise.resolve()
    const done = new Promise<void>((resolve) => this.#closedWaiters.push(resolve))
    if (!this.#closed) {
      this.#closed = true
      if (this.#reconnectTimer !== undefined) clearTimeout(this.#reconnectTimer)
      this.#reconnectTimer = undefined
      // Between sockets (waiting out a backoff or a token refresh) there is no socket left to close.
      if (this.#socket.readyState === CLOSED) this.#finish({ code, reason })
      else this.#socket.close(code, reason)
    }
    return done
  }

  // ---- internals ---------------------------------------------------------------------

  #nextId(prefix: string): string {
    this.#requestSeq += 1
    return `${prefix}-${this.#requestSeq}`
  }

  #send(message: ClientMessageShape): void {
    if (this.#closed) throw new ClientClosedError()
    const frame = encodeClientMessage(message) // throws TypeError on an invalid message: never put garbage on the wire
    if (this.reconnecting) throw new ClientReconnectingError()
    if (this.#socket.readyState !== OPEN) throw new ClientNotOpenError()
    this.#socket.send(frame)
  }

  #open(url: string, token = this.#options.token): void {
    const generation = ++this.#generation
    this.#url = url
    const socket = new (this.#options.WebSocket ?? platformWebSocket()!)(url, SUBPROTOCOL)
    this.#socket = socket
    const current = () => generation === this.#generation
    socket.addEventListener('open', () => {
      if (!current()) return
      if (socket.protocol !== SUBPROTOCOL) {
        this.emit('protocol-error', { code: 'SR_UNSUPPORTED_PROTOCOL', detail: `server chose "${socket.protocol}"` })
        this.#closed = true
        socket.close(CLOSE_CODES.unsupportedProtocol, 'subprotocol')
        return
      }
      this.emit('open')
      socket.send(encodeClientMessage({
        type: 'join',
        token,
        ...(this.#options.passcode !== undefined ? { passcode: this.#options.passcode } : {}),
        ...(this.#options.keyPair ? { publicKey: this.#options.keyPair.publicKey } : {}),
        ...(this.#options.displayName !== undefined ? { displayName: this.#options.displayName } : {}),
        ...(this.#options.clientInfo ? { client: { ...this.#options.clientInfo } } : {}),
        minor: PROTOCOL_MINOR,
      }))
    })
    socket.addEventListener('message', (event) => {
      if (!current()) return
      const text = typeof event.data === 'string' ? event.data : String(event.data)
      const decoded = decodeServerMessage(text)
      if (!decoded.ok) {
        this.emit('protocol-error', { code: decoded.code, detail: decoded.detail })
        void this.close(CLOSE_CODES.protocolViolation, 'invalid server message')
        return
      }
      this.#dispatch(decoded.message)
    })
    socket.addEventListener('close', (event) => {
      if (!current()) return
      const info = { code: event.code, reason: event.reason }
      const options = this.#options.reconnect ?? {}
      const resumable = !this.#closed && options !== false && this.#welcome !== undefined && shouldReconnect(event.code)
      if (resumable && this.#attempt < (options.maxAttempts ?? Infinity)) this.#scheduleReconnect(info, options)
      else this.#finish(info)
    })
    // 'error' is always followed by 'close', where the session ends.
    socket.addEventListener('error', () => undefined)
  }

  #scheduleReconnect(info: CloseInfo, options: ReconnectOptions): void {
    this.#attempt += 1
    this.#resuming = true
    this.#failPending(new ConnectionLostError())
    const attempt = this.#attempt
    const delayMs = reconnectDelay(attempt, options)
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined
      const refresh = this.#options.refreshToken
      if (!refresh) return this.#reopen(this.#options.token)
      refresh().then((token) => this.#reopen(token), (err: Error) => {
        if (!this.#closed) this.#finish({ code: info.code, reason: `token refresh failed: ${err.message}`.slice(0, 120) })
      })
    }, delayMs)
    this.emit('reconnecting', { attempt, delayMs, code: info.code, reason: info.reason })
  }

  #reopen(token: string): void {
    if (this.#closed) return
    this.#redirects = 0 // each attempt may follow one redirect to the home region, as the first join did
    this.#open(this.#homeUrl, token)
  }

  #failPending(err: Error): void {
    for (const p of this.#pendingRequests.values()) p.reject(err)
    for (const p of this.#pendingPings.values()) p.reject(err)
    for (const p of this.#pendingIce.values()) p.reject(err)
    this.#pendingRequests.clear()
    this.#pendingPings.clear()
    this.#pendingIce.clear()
  }

  #settleJoin(result: JoinResult): void {
    if (this.#joinSettled) return
    this.#joinSettled = true
    this.#resolveJoined(result)
  }

  #dispatch(m: ServerMessageShape): void {
    this.emit('message', m)
    switch (m.type) {
      case 'welcome': {
        const resumed = this.#resuming
        this.#welcome = m
        this.#homeUrl = this.#url
        this.#iceServers = m.iceServers
        this.#resuming = false
        this.#attempt = 0
        this.#capabilities = [...m.capabilities]
        this.#settleJoin({ kind: 'welcome', welcome: m })
        for (const w of this.#welcomeWaiters.splice(0)) w.resolve(m)
        this.emit(resumed ? 'reconnected' : 'welcome', m)
        if (m.key) this.#openKey(m.key.version, m.key.sealed)
        return
      }
      case 'waiting':
        this.#settleJoin({ kind: 'waiting', participantId: m.participantId, reason: m.reason })
        this.emit('waiting', m)
        return
      case 'admitted': this.emit('admitted', m.participantId); return
      case 'denied':
        this.#settleJoin({ kind: 'denied', code: m.code, message: m.message })
        this.emit('denied', m)
        return
      case 'redirect':
        this.emit('redirect', m)
        if ((this.#options.followRedirect ?? true) && this.#redirects === 0 && (!this.#welcome || this.#resuming) && !this.#closed) {
          this.#redirects += 1
          const old = this.#socket
          this.#open(m.url) // bumps the generation: the old socket's close is ignored
          old.close(1000, 'redirected')
        } else {
          this.#settleJoin({ kind: 'redirect', url: m.url, region: m.region })
        }
        return
      case 'participant-joined': this.emit('participant-joined', m.participant); return
      case 'participant-left': this.emit('participant-left', m.participantId); return
      case 'participant-removed': this.emit('participant-removed', m.participantId, m.by); return
      case 'participant-waiting': this.emit('participant-waiting', m.participant, m.reason); return
      case 'participant-admitted': this.emit('participant-admitted', m.participantId, m.by); return
      case 'signal': this.emit('signal', m); return
      case 'key-delivery': this.#openKey(m.version, m.sealed); return
      case 'key-rotated': this.emit('key-rotated', m.version); return
      case 'meeting-locked': this.emit('meeting-locked', m.by); return
      case 'meeting-unlocked': this.emit('meeting-unlocked', m.by); return
      case 'meeting-ended': this.emit('meeting-ended', m.by); return
      case 'capability-changed':
        if (m.participantId === this.#welcome?.participantId) this.#capabilities = [...m.capabilities]
        this.emit('capability-changed', m.participantId, [...m.capabilities], m.by)
        return
      case 'request-result': {
        const pending = m.re === undefined ? undefined : this.#pendingRequests.get(m.re)
        if (pending && m.re !== undefined) {
          this.#pendingRequests.delete(m.re)
          pending.resolve(m)
        }
        this.emit('request-result', m)
        return
      }
      case 'error': {
        const pending = m.re === undefined ? undefined : this.#pendingIce.get(m.re)
        if (pending && m.re !== undefined) {
          this.#pendingIce.delete(m.re)
          pending.reject(new SignalRefusedError(m.code, m.message))
        }
        this.emit('error', m)
        return
      }
      case 'ice-restart': {
        this.#iceServers = m.iceServers
        const pending = m.re === undefined ? undefined : this.#pendingIce.get(m.re)
        if (pending && m.re !== undefined) {
          this.#pendingIce.delete(m.re)
          pending.resolve(m)
        }
        this.emit('ice-restart', m)
        return
      }
      case 'pong': {
        const pending = m.nonce === undefined ? undefined : this.#pendingPings.get(m.nonce)
        if (pending && m.nonce !== undefined) {
          this.#pendingPings.delete(m.nonce)
          pending.resolve()
        }
        return
      }
    }
  }

  #openKey(version: number, sealed: SealedKeyMessage): void {
    const welcome = this.#welcome
    const keyPair = this.#options.keyPair
    if (!welcome || !keyPair) {
      this.emit('key-error', new KeyOpenError('received a sealed media key without a welcome or a key pair'))
      return
    }
    openMediaKey(sealed, { keyPair: keyPair.keyPair, meetingId: welcome.meeting.id, version, participantId: welcome.participantId })
      .then((key) => {
        // Deliveries may open out of order; never step back to an older version.
        if (this.#mediaKey && this.#mediaKey.version > version) return
        this.#mediaKey = { version, key }
        this.emit('media-key', this.#mediaKey)
      })
      .catch((err: Error) => this.emit('key-error', err))
  }

  #finish(info: CloseInfo): void {
    this.#closed = true
    this.#resuming = false
    this.#settleJoin({ kind: 'closed', code: info.code, reason: info.reason })
    const err = new ClientClosedError()
    for (const w of this.#welcomeWaiters.splice(0)) w.reject(err)
    this.#failPending(err)
    if (!this.#closeEmitted) {
      this.#closeEmitted = true
      this.emit('close', info)
    }
    for (const resolve of this.#closedWaiters.splice(0)) resolve()
  }
}

/** The runtime's own WebSocket client, if it has one (browsers; Node 22+ has it without a flag). */
function platformWebSocket(): WebSocketConstructor | undefined {
  return (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket
}
