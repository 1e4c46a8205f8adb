/**
 * One signaling socket: decodes and validates every frame (the protocol's codec, as the
 * client does), rate-limits it, and maps each client message onto the meeting service
 * and the security rules. Messages of one socket are handled one at a time, in order.
 *
 * Nothing here decides policy: admission is MeetingService.join (security/admission.ts +
 * geo policy), forwarding and rights are security/signal-rules.ts and capabilities.ts.
 */
import { randomBytes } from 'node:crypto'

import { decodeJwt } from 'jose'

import type { Participant } from '../../state/meetings.js'
import { isMeetingId } from '../../state/meeting-id.js'
import { routeMeeting } from '../../state/meeting-route.js'
import { errorCodeOf, isSovereignError } from '../errors.js'
import type { ClientMessageShape, HostCommandMessage, JoinMessage, RequestMessage, SignalMessage } from '../protocol/client-messages.js'
import { decodeClientMessage, encodeServerMessage } from '../protocol/codec.js'
import { CAPABILITIES, type CapabilityName, type ParticipantSummaryShape, type RoleName, type SealedKeyMessage } from '../protocol/common.js'
import { CLOSE_CODES, closeCodeOf, ERROR_CODES, type ErrorCode } from '../protocol/error-codes.js'
import type { MeetingSettingsShape, ServerMessageShape, WelcomeMessage } from '../protocol/server-messages.js'
import { capabilitiesOf, decideHostCommand, decideRequest, type CapabilityHolder, type CapabilitySettings } from '../security/capabilities.js'
import { decideSignal } from '../security/signal-rules.js'
import type { Actor, Admission, Meeting, MeetingService } from '../services/meeting-service.js'
import type { SignalBusMessage } from './signal-bus.js'
import type { SignalingMetrics } from './signaling-metrics.js'
import { TokenBucket } from './token-bucket.js'

/** The part of a `ws` WebSocket a session uses. */
export interface SessionSocket {
  readonly protocol: string
  readonly readyState: number
  /** Bytes queued for the socket and not yet handed to the kernel (ws). */
  readonly bufferedAmount: number
  send(data: string): void
  close(code?: number, reason?: string): void
}

export interface SessionDeps {
  readonly region: string
  readonly meetings: MeetingService
  readonly metrics: SignalingMetrics
  /** ws(s) URL of a region's signaling endpoint, or undefined for a region not in the config. */
  readonly signalUrlOf: (region: string) => string | undefined
  readonly publish: (message: SignalBusMessage) => Promise<void>
  /** Managed key mode: the meeting's current media key sealed to this participant (MediaKeyService.deliver). */
  readonly deliverKey: (meetingId: string, participantId: string, publicKey: string) => Promise<{ readonly version: number; readonly sealed: SealedKeyMessage }>
  readonly register: (session: SignalSession) => void
  readonly unregister: (session: SignalSession) => void
  readonly rate: { readonly ratePerSecond: number; readonly burst: number }
  /** Most bytes queued for a socket that does not read before it is closed (SR_SLOW_CONSUMER). */
  readonly maxBufferedBytes: number
  /** Length of the participant's presence lease, which the node renews while it holds the socket (state/presence.ts). */
  readonly presenceLeaseMs?: number
  readonly now: () => number
  readonly log: (err: unknown, message: string) => void
}

export type SessionState = 'new' | 'joining' | 'waiting' | 'admitted' | 'closed'

const OPEN = 1

export class SignalSession {
  readonly address: string
  /** This socket's session id: stored as the participant's holder, so a newer socket replaces it and only the holder's close leaves. */
  readonly id = randomBytes(12).toString('base64url')
  #state: SessionState = 'new'
  #meetingId: string | undefined
  #participantId: string | undefined
  #tenantId: string | undefined
  #role: RoleName = 'attendee'
  #displayName = ''
  #publicKey: string | undefined
  /** v1.1: the protocol revision the client declared in `join.minor` (0 when it did not). */
  #minor = 0
  /** The relays in the ICE servers this participant was handed last (welcome, then each ice-restart): failover moves it off them. */
  #relays: ReadonlyArray<{ readonly id: string; readonly region: string }> = []
  #holder: CapabilityHolder = { role: 'attendee', granted: new Set(), revoked: new Set() }
  #settings: CapabilitySettings | undefined
  #queue: Promise<void> = Promise.resolve()
  /** Set when the server ended the session (removed, denied, meeting ended): no `leave` on close. */
  #serverEnded = false
  readonly #socket: SessionSocket
  readonly #deps: SessionDeps
  readonly #bucket: TokenBucket

  constructor(socket: SessionSocket, address: string, deps: SessionDeps) {
    this.#socket = socket
    this.address = address
    this.#deps = deps
    this.#bucket = new TokenBucket({ ...deps.rate, now: deps.now })
  }

  get state(): SessionState { return this.#state }
  get meetingId(): string | undefined { return this.#meetingId }
  get participantId(): string | undefined { return this.#participantId }
  get role(): RoleName { return this.#role }
  get displayName(): string { return this.#displayName }
  get publicKey(): string | undefined { return this.#publicKey }
  get minor(): number { return this.#minor }
  /** Relays handed to this participant last (ids and regions). */
  get relays(): ReadonlyArray<{ readonly id: string; readonly region: string }> { return this.#relays }
  get isHostRole(): boolean { return this.#role === 'host' || this.#role === 'co-host' }
  /** Closed, or being closed by the server (its leave, if any, is already under way). */
  get ending(): boolean { return this.#state === 'closed' || this.#serverEnded }

  // ---- transport ----------------------------------------------------------------------

  /** One frame from the socket. */
  receive(data: unknown, isBinary: boolean): void {
    if (this.#state === 'closed') return
    if (isBinary) return this.fail('SR_PROTOCOL_VIOLATION', 'binary frames are not sovereign.signal.v1')
    const text = typeof data === 'string' ? data : Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data as Buffer[]).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8')
    if (!this.#bucket.take()) return this.fail('SR_RATE_LIMITED')
    const decoded = decodeClientMessage(text)
    if (!decoded.ok) return this.fail(decoded.code, decoded.detail)
    const message = decoded.message
    this.#deps.metrics.messages.inc({ kind: message.type === 'signal' ? `signal:${message.kind}` : message.type === 'host' ? `host:${message.command}` : message.type })
    this.#queue = this.#queue.then(() => this.#handle(message)).catch((err: unknown) => {
      this.#deps.log(err, 'signaling message failed')
      const code = errorCodeOf(err) // SR_STATE_UNAVAILABLE (close 4022) while Redis is down, so the client retries
      this.fail(closeCodeOf(code) !== undefined ? code : 'SR_INTERNAL')
    })
  }

  /** The socket closed (either side). The participant leaves unless the server already settled its state. */
  closed(): void {
    const was = this.#state
    this.#state = 'closed'
    this.#deps.unregister(this)
    if (!this.#serverEnded && (was === 'admitted' || was === 'waiting')) this.#leave()
  }

  #leave(): void {
    const meetingId = this.#meetingId
    const participantId = this.#participantId
    if (meetingId === undefined || participantId === undefined) return
    this.#queue = this.#queue.then(() => this.#deps.meetings.leave(meetingId, participantId, this.id)).catch((err: unknown) => this.#deps.log(err, 'leave failed'))
  }

  send(message: ServerMessageShape): void {
    if (this.#socket.readyState !== OPEN) return
    // A reader that stopped reading would make us queue everything others send it (issue 9,
    // item 1): past the limit, nothing more is queued and the socket is closed, so what this
    // socket holds is bounded by the limit plus one frame. The senders never wait on it.
    if (this.#socket.bufferedAmount > this.#deps.maxBufferedBytes) return this.#slowConsumer()
    this.#socket.send(encodeServerMessage(message))
  }

  /** Closes a socket that does not read: no `error` frame (it would queue behind the rest), the close code says why. */
  #slowConsumer(): void {
    if (this.#state === 'closed') return
    this.#deps.metrics.slowConsumers.inc()
    this.end(CLOSE_CODES.slowConsumer, 'SR_SLOW_CONSUMER')
  }

  /** Sends `error` (or `denied` before admission) and closes with the code's close code, if it has one. */
  fail(code: ErrorCode, detail?: string): void {
    const close = closeCodeOf(code)
    const message = ERROR_CODES[code].message
    if (this.#state === 'closed') return
    if (close === undefined) return this.send({ type: 'error', code, message })
    this.send({ type: 'error', code, message: detail === undefined ? message : `${message}: ${detail}`.slice(0, 512) })
    this.end(close, code)
  }

  /**
   * Closes from the server side. `settled`: the meeting state already says why (removed,
   * denied, ended, left); otherwise (protocol violation, rate limit, internal error) an
   * admitted or waiting participant leaves, so no stale endpoint stays in the meeting.
   */
  end(code: number, reason: string, settled = false): void {
    const was = this.#state
    if (!settled && !this.#serverEnded && (was === 'admitted' || was === 'waiting')) this.#leave()
    this.#serverEnded = true
    // From here on nothing more reaches this participant (no signal, no new key version).
    if (was !== 'closed') {
      this.#state = 'closed'
      this.#deps.unregister(this)
    }
    if (this.#socket.readyState === OPEN) this.#socket.close(code, reason.slice(0, 120))
  }

  // ---- events from the hub -------------------------------------------------------------

  /**
   * A newer socket of the same participant joined (on any node) and holds the seat now:
   * this one closes with 4020 and does not leave, since the participant is still here.
   */
  replaced(): void {
    if (this.#state === 'closed') return
    this.send({ type: 'error', code: 'SR_SESSION_REPLACED', message: ERROR_CODES.SR_SESSION_REPLACED.message })
    this.end(CLOSE_CODES.sessionReplaced, 'SR_SESSION_REPLACED', true)
  }

  /**
   * The region let this session's seat go (another node settled its presence lease while
   * this node could not renew it): nobody is left to speak for, so it ends (4025) and its
   * client reconnects as a new arrival.
   */
  lost(): void {
    if (this.ending) return
    this.send({ type: 'error', code: 'SR_PRESENCE_LOST', message: ERROR_CODES.SR_PRESENCE_LOST.message })
    this.end(CLOSE_CODES.presenceLost, 'SR_PRESENCE_LOST', true)
  }

  /** A host admitted this waiting participant (on any node). */
  async admittedByHost(): Promise<void> {
    if (this.#state !== 'waiting' || this.#meetingId === undefined || this.#participantId === undefined) return
    this.#state = 'admitted'
    this.send({ type: 'admitted', participantId: this.#participantId })
    const admission = await this.#deps.meetings.welcome(this.#meetingId, this.#participantId)
    this.send(await this.#welcome(admission))
  }

  /** Managed key mode: a new key version is in force; deliver it sealed to this participant. */
  async keyRotated(version: number, reason: 'participant-left' | 'participant-removed' | 'scheduled'): Promise<void> {
    if (this.#state !== 'admitted' || this.#publicKey === undefined || this.#meetingId === undefined || this.#participantId === undefined) return
    this.send({ type: 'key-rotated', version, reason })
    const delivery = await this.#deps.deliverKey(this.#meetingId, this.#participantId, this.#publicKey)
    if (this.#state === 'admitted') this.send({ type: 'key-delivery', version: delivery.version, sealed: delivery.sealed })
  }

  /**
   * Failover (issue 12): relay `relayId` left the fleet or drains. A participant that was
   * handed it and speaks v1.1 gets fresh ICE servers of the meeting's allowed set in an
   * `ice-restart` (PROTOCOL.md, "Failover"); when none is left, a coded refusal
   * (`SR_NO_RELAY_AVAILABLE`), never a relay outside the set. Queued behind the socket's
   * messages, so it never overtakes the welcome. Resolves true when it moved the participant.
   */
  failover(relayId: string, cause: 'relay-lost' | 'relay-draining'): Promise<boolean> {
    const run = async (): Promise<boolean> => {
      // A v1.0 client has no ice-restart (it is never sent a later revision unprompted): its own ICE failure is its signal.
      if (this.#state !== 'admitted' || this.#minor < 1 || !this.#relays.some((r) => r.id === relayId)) return false
      const admission = await this.#deps.meetings.failover(this.#meetingId!, this.#participantId!, { relayId, cause })
      if (this.#state !== 'admitted') return false
      this.#deps.metrics.failovers.inc({ cause, outcome: admission.iceServers.length === 0 ? 'no_relay' : 'moved' })
      if (admission.iceServers.length === 0) {
        // Nowhere to go. A draining relay still relays: the call stays on it and is still watched, so
        // its death later moves the participant (relay-lost). A lost relay is simply no longer held.
        if (cause === 'relay-lost') this.#relays = this.#relays.filter((r) => r.id !== relayId)
        this.send({ type: 'error', code: 'SR_NO_RELAY_AVAILABLE', message: `${ERROR_CODES.SR_NO_RELAY_AVAILABLE.message}: relay ${relayId} is gone (${cause}) and no other relay of the meeting's allowed set is live`.slice(0, 512) })
        return false
      }
      this.#relays = admission.relays
      this.send({ type: 'ice-restart', iceServers: [...admission.iceServers].slice(0, 16), reason: cause, relayId })
      return true
    }
    const done = this.#queue.then(run)
    this.#queue = done.then(() => undefined, (err: unknown) => this.#deps.log(err, 'failover failed'))
    return done
  }

  /** A grant or revoke for this participant; returns its capabilities afterwards. */
  applyGrant(capability: CapabilityName, grant: boolean): CapabilityName[] {
    const granted = new Set(this.#holder.granted)
    const revoked = new Set(this.#holder.revoked)
    if (grant) { granted.add(capability); revoked.delete(capability) } else { revoked.add(capability); granted.delete(capability) }
    this.#holder = { role: this.#holder.role, granted, revoked }
    return this.#settings ? capabilitiesOf(this.#holder, this.#settings) : []
  }

  summary(): ParticipantSummaryShape {
    return {
      participantId: this.#participantId ?? 'unknown', displayName: this.#displayName || 'participant', role: this.#role,
      capabilities: this.#settings ? capabilitiesOf(this.#holder, this.#settings) : [],
    }
  }

  // ---- messages -------------------------------------------------------------------------

  async #handle(message: ClientMessageShape): Promise<void> {
    if (this.#state === 'closed') return
    switch (message.type) {
      case 'join': return this.#join(message)
      case 'ping': return this.send({ type: 'pong', ...(message.id === undefined ? {} : { re: message.id }), ...(message.nonce === undefined ? {} : { nonce: message.nonce }) })
      case 'leave': {
        const meetingId = this.#meetingId
        const participantId = this.#participantId
        const was = this.#state
        this.#serverEnded = true
        if ((was === 'admitted' || was === 'waiting') && meetingId !== undefined && participantId !== undefined) await this.#deps.meetings.leave(meetingId, participantId, this.id)
        this.end(CLOSE_CODES.left, 'left', true)
        return
      }
      case 'signal': return this.#signal(message)
      case 'host': return this.#host(message)
      case 'request': return this.#request(message)
      case 'ice-servers-request': return this.#iceServers(message.id)
    }
  }

  /** v1.1: fresh ICE servers, built as at join (allowed set only, meeting-scoped credentials, audited). */
  async #iceServers(re: string | undefined): Promise<void> {
    if (this.#state !== 'admitted' || this.#meetingId === undefined || this.#participantId === undefined) return this.#error('SR_NOT_JOINED', re)
    let admission: Admission
    try {
      admission = await this.#deps.meetings.welcome(this.#meetingId, this.#participantId)
    } catch (err) {
      if (isSovereignError(err)) return this.#error(err.code, re)
      throw err
    }
    // Fail closed: no relay of the allowed set is live, so no server at all rather than one outside it.
    if (admission.iceServers.length === 0) return this.#error('SR_NO_RELAY_AVAILABLE', re)
    this.#relays = admission.relays
    this.send({ type: 'ice-restart', iceServers: [...admission.iceServers].slice(0, 16), reason: 'requested', ...(re === undefined ? {} : { re }) })
  }

  async #join(join: JoinMessage): Promise<void> {
    if (this.#state !== 'new') return this.#error('SR_ALREADY_JOINED', join.id)
    this.#state = 'joining'
    const started = this.#deps.now()
    // Guarantee 3: route on the meeting id the token names, before verifying or storing anything.
    // A token naming no meeting id goes on to verification, which refuses it.
    const named = meetingIdOf(join.token)
    const where = named === undefined ? undefined : routeMeeting(named, { region: this.#deps.region, knowsRegion: (r) => this.#deps.signalUrlOf(r) !== undefined })
    if (where?.route === 'unknown-region') return this.#deny('SR_MEETING_NOT_FOUND', started)
    if (where?.route === 'redirect') {
      this.#deps.metrics.joins.inc({ outcome: 'redirect' })
      this.send({ type: 'redirect', url: this.#deps.signalUrlOf(where.region)!, region: where.region })
      this.end(CLOSE_CODES.redirect, 'redirect')
      return
    }
    let result
    try {
      // Managed key mode needs a public key to seal to: join refuses it (before anything is stored) when there is none.
      result = await this.#deps.meetings.join({
        token: join.token, address: this.address, hasPublicKey: join.publicKey !== undefined, session: this.id,
        ...(this.#deps.presenceLeaseMs === undefined ? {} : { presenceLeaseMs: this.#deps.presenceLeaseMs }),
        ...(join.passcode === undefined ? {} : { passcode: join.passcode }),
      })
    } catch (err) {
      if (isSovereignError(err) && (err.code === 'SR_REDIRECT_HOME_REGION' || err.code === 'SR_MEETING_NOT_FOUND')) return this.#deny('SR_MEETING_NOT_FOUND', started)
      throw err
    }
    if (result.outcome === 'denied') return this.#deny(result.code, started, result.retryAfterSeconds)
    // The socket closed while the join was stored: nobody holds the seat, so it is given back at once.
    if ((this.#state as SessionState) === 'closed') return this.#deps.meetings.leave(result.claims.meetingId, result.participant.id, this.id)
    const claims = result.claims
    this.#meetingId = claims.meetingId
    this.#participantId = result.participant.id
    this.#tenantId = claims.tenantId
    this.#role = claims.role
    this.#displayName = join.displayName ?? claims.displayName ?? claims.identity
    this.#publicKey = join.publicKey
    this.#minor = join.minor ?? 0
    this.#holder = holderOf(claims.role, claims.capabilities, result.participant.grants)
    this.#settings = result.meeting.settings
    this.#deps.register(this)
    this.#deps.metrics.joinSeconds.observe((this.#deps.now() - started) / 1000)
    if (result.outcome === 'waiting') {
      this.#state = 'waiting'
      this.#deps.metrics.joins.inc({ outcome: 'waiting' })
      this.send({ type: 'waiting', participantId: result.participant.id, reason: result.reason })
      // A host on another node may have admitted us before we were registered: look again.
      const now = await this.#deps.meetings.participant(claims.meetingId, result.participant.id).catch(() => undefined)
      if (now?.status === 'admitted') await this.admittedByHost()
      return
    }
    this.#state = 'admitted'
    this.#deps.metrics.joins.inc({ outcome: 'admitted' })
    this.send(await this.#welcome(result))
  }

  #deny(code: ErrorCode, started: number, retryAfterSeconds?: number): void {
    this.#deps.metrics.joins.inc({ outcome: 'denied' })
    this.#deps.metrics.refusals.inc({ code })
    this.#deps.metrics.joinSeconds.observe((this.#deps.now() - started) / 1000)
    this.send({ type: 'denied', code, message: ERROR_CODES[code].message, ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }) })
    this.end(closeCodeOf(code) ?? CLOSE_CODES.internal, code, true)
  }

  async #welcome(admission: Admission): Promise<WelcomeMessage> {
    const meeting = admission.meeting
    this.#settings = meeting.settings
    this.#relays = admission.relays
    const key = meeting.settings.keyMode === 'managed' && this.#publicKey !== undefined
      ? await this.#deps.deliverKey(meeting.id, admission.participant.id, this.#publicKey)
      : undefined
    return {
      type: 'welcome', protocol: 1,
      participantId: admission.participant.id,
      displayName: this.#displayName.slice(0, 64) || 'participant',
      role: this.#role,
      capabilities: capabilitiesOf(this.#holder, meeting.settings),
      iceServers: [...admission.iceServers].slice(0, 16),
      participants: admission.participants.map((p) => (p.id === admission.participant.id ? this.summary() : summaryOf(p, meeting))),
      meeting: settingsOf(meeting),
      ...(key === undefined ? {} : { key: { version: key.version, sealed: key.sealed } }),
    }
  }

  async #signal(signal: SignalMessage): Promise<void> {
    if (this.#state !== 'admitted' || this.#meetingId === undefined || this.#participantId === undefined) return this.#error('SR_NOT_JOINED', signal.id)
    const meetingId = this.#meetingId
    let targetAdmitted = false
    if (signal.to !== 'all' && signal.to !== this.#participantId) {
      targetAdmitted = (await this.#deps.meetings.participant(meetingId, signal.to))?.status === 'admitted'
    }
    if (signal.kind === 'offer' || signal.kind === 'answer') this.#settings = (await this.#deps.meetings.get(meetingId)).settings
    const decision = decideSignal({ ...this.#holder, participantId: this.#participantId }, signal, this.#settings!, { isAdmitted: (id) => id === signal.to && targetAdmitted })
    if (!decision.allow) return this.#error(decision.code, signal.id)
    const forwarded = {
      type: 'signal' as const, from: this.#participantId, kind: signal.kind, payload: signal.payload,
      ...('tracks' in signal && signal.tracks !== undefined ? { tracks: signal.tracks } : {}),
      ...('dataChannels' in signal && signal.dataChannels !== undefined ? { dataChannels: signal.dataChannels } : {}),
    }
    await this.#deps.publish({ t: 'signal', meetingId, to: signal.to, message: forwarded })
  }

  async #host(command: HostCommandMessage): Promise<void> {
    if (this.#state !== 'admitted' || this.#meetingId === undefined || this.#participantId === undefined) return this.#error('SR_NOT_JOINED', command.id)
    const meetingId = this.#meetingId
    const actorId = this.#participantId
    let target: (Participant & { state: 'admitted' | 'waiting' | 'absent' }) | undefined
    if ('participantId' in command) {
      const p = await this.#deps.meetings.participant(meetingId, command.participantId)
      target = p ? { ...p, state: p.status === 'admitted' ? 'admitted' : p.status === 'waiting' ? 'waiting' : 'absent' } : undefined
    }
    const meeting = await this.#deps.meetings.get(meetingId)
    this.#settings = meeting.settings
    const decision = decideHostCommand(
      { role: this.#role, participantId: actorId }, command.command,
      target ? { role: target.role, state: target.state, participantId: target.id } : undefined,
      'capability' in command ? command.capability : undefined, meeting.settings,
    )
    if (!decision.allow) return this.#error(decision.code, command.id)
    const actor: Actor = { kind: 'participant', tenantId: this.#tenantId!, participantId: actorId }
    try {
      switch (command.command) {
        case 'admit': await this.#deps.meetings.admit(meetingId, command.participantId, actor); return
        case 'deny': await this.#deps.meetings.deny(meetingId, command.participantId, actor); return
        case 'remove': await this.#deps.meetings.remove(meetingId, command.participantId, actor); return
        case 'lock': await this.#deps.meetings.lock(meetingId, actor); return
        case 'unlock': await this.#deps.meetings.unlock(meetingId, actor); return
        case 'end': await this.#deps.meetings.end(meetingId, actor); return
        case 'grant':
        case 'revoke':
          // Stored first, so a reconnect keeps it; then the socket holding the participant applies it.
          await this.#deps.meetings.grant(meetingId, command.participantId, command.capability, command.command === 'grant')
          await this.#deps.publish({ t: 'grant', meetingId, participantId: command.participantId, capability: command.capability, grant: command.command === 'grant', by: actorId })
          return
      }
    } catch (err) {
      if (isSovereignError(err)) return this.#error(err.code, command.id)
      throw err
    }
  }

  async #request(request: RequestMessage): Promise<void> {
    if (this.#state !== 'admitted' || this.#meetingId === undefined) return this.#error('SR_NOT_JOINED', request.id)
    this.#settings = (await this.#deps.meetings.get(this.#meetingId)).settings
    const decision = decideRequest(this.#holder, request.request, this.#settings)
    this.send({
      type: 'request-result', request: request.request, allowed: decision.allow,
      ...(request.id === undefined ? {} : { re: request.id }),
      ...(decision.allow ? {} : { code: decision.code }),
    })
  }

  #error(code: ErrorCode, re: string | undefined): void {
    this.send({ type: 'error', code, message: ERROR_CODES[code].message, ...(re === undefined ? {} : { re }) })
  }
}

const isCapabilityName = (name: string): name is CapabilityName => (CAPABILITIES as readonly string[]).includes(name)

/** Rights from the token, then a host's stored grants and revokes on top (the latest host decision wins). */
export function holderOf(role: RoleName, fromToken: readonly CapabilityName[], grants: Readonly<Record<string, boolean>> | undefined): CapabilityHolder {
  const granted = new Set(fromToken)
  const revoked = new Set<CapabilityName>()
  for (const [name, grant] of Object.entries(grants ?? {})) {
    if (!isCapabilityName(name)) continue
    if (grant) granted.add(name)
    else { granted.delete(name); revoked.add(name) }
  }
  return { role, granted, revoked }
}

/** The meeting id a token names, read WITHOUT verifying it: used only to route (redirect), never trusted. */
export function meetingIdOf(token: string): string | undefined {
  try {
    const mid = decodeJwt(token).mid
    return typeof mid === 'string' && isMeetingId(mid) ? mid : undefined
  } catch {
    return undefined
  }
}

export function settingsOf(meeting: Meeting): MeetingSettingsShape {
  const s = meeting.settings
  return {
    id: meeting.id, homeRegion: meeting.homeRegion, residencyMode: meeting.residencyMode, keyMode: s.keyMode,
    locked: meeting.status === 'locked', waitingRoom: s.waitingRoom, joinBeforeHost: s.joinBeforeHost,
    hostOnlyScreenShare: s.hostOnlyScreenShare, fileTransfer: s.fileTransfer, recording: s.recording, capacity: s.capacity,
  }
}

/** A participant as others see it: rights from the meeting defaults and a host's stored grants (token rights live with the holder's socket). */
export function summaryOf(p: Pick<Participant, 'id' | 'identity' | 'role' | 'grants'>, meeting: Pick<Meeting, 'settings'>): ParticipantSummaryShape {
  return {
    participantId: p.id, displayName: p.identity.slice(0, 64) || 'participant', role: p.role,
    capabilities: capabilitiesOf(holderOf(p.role, [], p.grants), meeting.settings),
  }
}
