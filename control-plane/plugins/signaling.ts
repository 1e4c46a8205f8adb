/**
 * The signaling endpoint: `GET /v1/signal`, a WebSocket speaking sovereign.signal.v1
 * (control-plane/protocol/PROTOCOL.md). Sessions (../signaling/session.ts) handle each
 * socket; this plugin owns the node's live sessions by meeting and fans out, to the
 * sockets it holds, both the meeting service's events (which already span the region's
 * nodes) and the region's signaling bus (forwarded signals, capability changes).
 * Nothing crosses regions: a join for another region's meeting is redirected.
 */
import websocket from '@fastify/websocket'
import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'

import type { Region } from '../../config/network-config.js'
import { ControlPlaneError } from '../control-plane-error.js'
import { encodeServerMessage } from '../protocol/codec.js'
import { CLOSE_CODES, ERROR_CODES } from '../protocol/error-codes.js'
import { LIMITS, SUBPROTOCOL } from '../protocol/version.js'
import type { MeetingEvent } from '../services/meeting-events.js'
import { observedAddress, trustedProxies, type TrustedProxy } from '../signaling/remote-address.js'
import { PresenceKeeper } from '../signaling/presence-keeper.js'
import { RelayWatch } from '../signaling/relay-watch.js'
import { SignalSession, summaryOf } from '../signaling/session.js'
import { isSignalBusMessage, SIGNAL_BUS_CHANNEL, type SignalBusMessage } from '../signaling/signal-bus.js'
import { createSignalingMetrics } from '../signaling/signaling-metrics.js'
import { endSessionsOfLostMeetings } from '../signaling/state-loss.js'
import { TokenBuckets, type TokenBucketOptions } from '../signaling/token-bucket.js'
import { rateLimitedCounter } from './rate-limit.js'

export const SIGNAL_PATH = '/v1/signal'

/**
 * Overrides of the region's config (`regions[].controlPlane.limits.signaling` and
 * `trustedProxies`), for tests and benchmarks. Without them every value is read from the
 * running config when a socket opens, so a SIGHUP reload applies to the next socket.
 */
export interface SignalingOptions {
  /** Messages per second per socket (token bucket), and the burst; config default 50/s, burst 200. */
  readonly rate?: { readonly ratePerSecond: number; readonly burst: number }
  /** Time from open to `join`; config default 10 s (LIMITS.joinTimeoutSeconds). */
  readonly joinTimeoutMs?: number
  /** Largest text frame accepted, at most LIMITS.maxFrameBytes; config default that. */
  readonly maxMessageBytes?: number
  /** New sockets per client address on this node (token bucket); config default 10/s, burst 100. */
  readonly joinsPerAddress?: { readonly perSecond: number; readonly burst: number }
  /** Peers whose X-Forwarded-For is believed; config default none. */
  readonly trustedProxy?: TrustedProxy
  /** Bytes queued for one socket before it is closed as a slow consumer; config default 1 MiB. */
  readonly maxBufferedBytes?: number
  /** Sockets not joined yet, per client address and per node; config default 20 and 2000. */
  readonly unjoinedSockets?: { readonly perAddress: number; readonly perNode: number }
  /** Presence lease and its renewal period (read when the plugin starts); config default 15 s and 5 s. */
  readonly presence?: { readonly leaseMs: number; readonly renewMs: number }
  /** Failover: how often the fleets of the handed relays' regions are read; config default 0.25 s (the delay after a relay's death is its heartbeat TTL plus this). */
  readonly fleetWatchMs?: number
}

/** The limits one new socket gets: options first, then the running config, then the protocol's own. */
function socketLimits(options: SignalingOptions, region: Region | undefined) {
  const config = region?.controlPlane.limits.signaling
  return {
    rate: options.rate ?? (config ? { ratePerSecond: config.messagesPerSecond, burst: config.messageBurst } : { ratePerSecond: 50, burst: 200 }),
    joinTimeoutMs: options.joinTimeoutMs ?? (config?.joinTimeoutSeconds ?? LIMITS.joinTimeoutSeconds) * 1000,
    maxMessageBytes: Math.min(options.maxMessageBytes ?? config?.maxMessageBytes ?? LIMITS.maxFrameBytes, LIMITS.maxFrameBytes),
    joinsPerAddress: options.joinsPerAddress ?? config?.joinsPerAddress ?? { perSecond: 10, burst: 100 },
    trustedProxy: options.trustedProxy ?? trustedProxies(region?.controlPlane.trustedProxies ?? []),
    maxBufferedBytes: options.maxBufferedBytes ?? config?.maxBufferedBytes ?? 1_048_576,
    unjoinedSockets: options.unjoinedSockets ?? config?.unjoinedSockets ?? { perAddress: 20, perNode: 2000 },
  }
}

function byteLength(data: unknown): number {
  if (Buffer.isBuffer(data)) return data.length
  if (Array.isArray(data)) return data.reduce((sum: number, part: Buffer) => sum + part.length, 0)
  if (data instanceof ArrayBuffer) return data.byteLength
  return typeof data === 'string' ? Buffer.byteLength(data) : 0
}

/** ws(s) URL of a region's signaling endpoint from its control-plane URL. */
export function signalUrl(controlPlaneUrl: string): string {
  return `${controlPlaneUrl.replace(/\/+$/, '').replace(/^http/, 'ws')}${SIGNAL_PATH}`
}

const signalingPlugin: FastifyPluginAsync<SignalingOptions> = async (app, options) => {
  const ctx = app.sovereign
  const metrics = createSignalingMetrics(ctx.registry)
  const refused = rateLimitedCounter(ctx.registry)
  const joinBuckets = new TokenBuckets({ now: ctx.now })
  /** Sockets open but not joined (admitted or waiting) yet, by client address, and their sum. */
  const unjoined = new Map<string, number>()
  let unjoinedTotal = 0
  const byMeeting = new Map<string, Set<SignalSession>>()
  const local = (meetingId: string): SignalSession[] => [...(byMeeting.get(meetingId) ?? [])]
  const log = (err: unknown, message: string) => app.log.warn({ err }, message)
  const publish = (message: SignalBusMessage) => ctx.state.bus.publish(SIGNAL_BUS_CHANNEL, message)

  const onBus = (payload: unknown) => {
    if (!isSignalBusMessage(payload)) return log(new ControlPlaneError('ERR_CP_BUS_UNDECODABLE', 'undecodable signaling bus message'), 'signaling bus')
    const sessions = local(payload.meetingId).filter((s) => s.state === 'admitted')
    switch (payload.t) {
      case 'signal':
        for (const s of sessions) {
          const wanted = payload.to === 'all' ? s.participantId !== payload.message.from : s.participantId === payload.to
          if (wanted) s.send(payload.message)
        }
        return
      case 'grant':
        for (const s of sessions) {
          if (s.participantId !== payload.participantId) continue
          const capabilities = s.applyGrant(payload.capability, payload.grant)
          void publish({ t: 'capabilities', meetingId: payload.meetingId, participantId: payload.participantId, capabilities, by: payload.by }).catch((err) => log(err, 'signaling bus'))
        }
        return
      case 'capabilities':
        for (const s of sessions) s.send({ type: 'capability-changed', participantId: payload.participantId, capabilities: payload.capabilities, by: payload.by })
        return
      case 'key-rotated':
        for (const s of sessions) void s.keyRotated(payload.version, payload.reason).catch((err) => log(err, 'key delivery'))
        return
    }
  }
  const subscription = await ctx.state.bus.subscribe(SIGNAL_BUS_CHANNEL, onBus, (err) => log(err, 'signaling bus'))
  // The region's Redis came back without its data: participants of meetings that vanished are told (4024).
  const offStateLost = ctx.state.onStateLost((loss) => {
    void endSessionsOfLostMeetings(byMeeting, (id) => ctx.meetings.get(id).then(() => true)).then((sessions) =>
      app.log.error({ region: loss.region, previousEpoch: loss.previous, epoch: loss.current, sessionsEnded: sessions }, 'region state lost: Redis came back without its data; sessions of vanished meetings ended with SR_STATE_LOST (production Redis needs persistence or replicas: deploy/README.md)'))
  })

  // Presence (issue 9, item 13): the leases of every participant whose socket this node holds.
  const presenceConfig = ctx.config().regionById(ctx.region)?.controlPlane.limits.signaling.presence
  const keeper = new PresenceKeeper({
    leaseMs: options.presence?.leaseMs ?? (presenceConfig?.leaseSeconds ?? 15) * 1000,
    renewMs: options.presence?.renewMs ?? (presenceConfig?.renewSeconds ?? 5) * 1000,
    held: () => [...byMeeting.values()].flatMap((set) => [...set].flatMap((s) =>
      (s.state === 'admitted' || s.state === 'waiting') && s.meetingId !== undefined && s.participantId !== undefined
        ? [{ meetingId: s.meetingId, participantId: s.participantId, session: s.id }]
        : [])),
    meetings: ctx.meetings,
    log,
    now: ctx.now,
  })
  keeper.start()

  // Failover (issue 12): this node moves the participants it holds off a relay that died or drains.
  const sessionsOf = () => [...byMeeting.values()].flatMap((set) => [...set])
  const watch = new RelayWatch({
    intervalMs: options.fleetWatchMs ?? (ctx.config().regionById(ctx.region)?.controlPlane.limits.signaling.fleetWatchSeconds ?? 0.25) * 1000,
    regions: () => new Set([ctx.region, ...sessionsOf().flatMap((s) => s.relays.map((r) => r.region))]),
    liveRelays: (region) => ctx.liveRelays(region),
    onChange: (change) => {
      const moving = sessionsOf().filter((s) => s.relays.some((r) => r.id === change.relayId && r.region === change.region))
      for (const s of moving) void s.failover(change.relayId, change.cause).catch((err) => log(err, 'failover'))
      if (moving.length > 0) app.log.info({ relayId: change.relayId, region: change.region, cause: change.cause, sessions: moving.length }, 'moving participants off a relay')
    },
    log,
  })
  watch.start()

  /**
   * One session per participant (issue 9, item 3): a join on `event.session` replaces the
   * participant's other sockets here. The store says who holds the seat, so of two joins
   * racing on two nodes the one written last stays, whichever event arrives last.
   */
  const replaceOlder = async (event: Extract<MeetingEvent, { type: 'participant-admitted' | 'participant-waiting' }>, sessions: SignalSession[]) => {
    if (event.session === undefined) return
    const older = sessions.filter((s) => s.participantId === event.participantId && s.id !== event.session && s.state !== 'closed')
    if (older.length === 0) return
    const holder = (await ctx.meetings.participant(event.meetingId, event.participantId))?.session
    for (const s of older) if (s.id !== holder) s.replaced()
  }

  const onEvent = (event: MeetingEvent) => {
    // Managed keys: the node that caused the leave/removal rotates once, then every node delivers.
    if (event.type === 'key-rotation-needed') {
      if (event.origin !== ctx.nodeId) return
      void ctx.keys.rotate(event.meetingId, event.reason)
        .then(({ version }) => publish({ t: 'key-rotated', meetingId: event.meetingId, version, reason: event.reason }))
        .catch((err) => log(err, 'key rotation'))
      return
    }
    const sessions = local(event.meetingId)
    if (sessions.length === 0) return
    void fanOut(event, sessions).catch((err) => log(err, 'meeting event fan-out'))
  }
  /** Who arrived, as others see it: from the event itself (identity, grants); read back only for an event without them. */
  const arrival = async (event: Extract<MeetingEvent, { type: 'participant-admitted' | 'participant-waiting' }>) => {
    const meeting = await ctx.meetings.recent(event.meetingId)
    const stored = event.identity === undefined ? await ctx.meetings.participant(event.meetingId, event.participantId) : undefined
    const who = stored ?? { id: event.participantId, identity: event.identity ?? event.participantId, role: event.role, ...(event.grants === undefined ? {} : { grants: event.grants }) }
    return summaryOf(who, meeting)
  }
  const fanOut = async (event: MeetingEvent, sessions: SignalSession[]) => {
    if (event.type === 'participant-admitted' || event.type === 'participant-waiting') {
      await replaceOlder(event, sessions)
      sessions = sessions.filter((s) => s.state !== 'closed')
    }
    const admitted = sessions.filter((s) => s.state === 'admitted')
    const by = 'by' in event && event.by !== undefined ? event.by : 'tenant'
    switch (event.type) {
      case 'participant-admitted': {
        const own = sessions.find((s) => s.participantId === event.participantId)
        for (const s of sessions) if (s.participantId === event.participantId && s.state === 'waiting') await s.admittedByHost()
        const others = admitted.filter((s) => s.participantId !== event.participantId)
        // Back within its lease: the others never saw it leave, so it does not arrive again.
        if (others.length === 0 || event.reconnected === true) return
        const summary = own && own.state === 'admitted' ? own.summary() : await arrival(event)
        for (const s of others) {
          s.send({ type: 'participant-joined', participant: summary })
          if (event.by !== undefined && s.isHostRole) s.send({ type: 'participant-admitted', participantId: event.participantId, by: event.by })
        }
        return
      }
      case 'participant-waiting': {
        const hosts = admitted.filter((s) => s.isHostRole)
        if (hosts.length === 0) return
        const summary = await arrival(event)
        for (const s of hosts) s.send({ type: 'participant-waiting', participant: summary, reason: event.reason })
        return
      }
      case 'participant-denied':
        for (const s of sessions) {
          if (s.participantId !== event.participantId || s.state !== 'waiting') continue
          s.send({ type: 'denied', code: 'SR_DENIED_BY_HOST', message: 'a host denied entry' })
          s.end(CLOSE_CODES.deniedByHost, 'SR_DENIED_BY_HOST', true)
        }
        return
      case 'participant-removed':
        for (const s of sessions) {
          if (s.state !== 'admitted' && s.participantId !== event.participantId) continue
          s.send({ type: 'participant-removed', participantId: event.participantId, by })
          if (s.participantId === event.participantId) s.end(CLOSE_CODES.removed, 'SR_REMOVED', true)
        }
        return
      case 'participant-left':
        for (const s of sessions) {
          // The region let the seat this live socket holds go (its lease ran out while this node could not renew it):
          // end it, so its client reconnects, rather than keep a socket that speaks for no one.
          if (s.id === event.session && !s.ending) s.lost()
        }
        for (const s of admitted) if (s.participantId !== event.participantId && s.state === 'admitted') s.send({ type: 'participant-left', participantId: event.participantId })
        return
      case 'meeting-locked':
        for (const s of admitted) s.send({ type: 'meeting-locked', by })
        return
      case 'meeting-unlocked':
        for (const s of admitted) s.send({ type: 'meeting-unlocked', by })
        return
      case 'meeting-ended':
        for (const s of sessions) {
          s.send({ type: 'meeting-ended', ...(event.by === undefined ? {} : { by: event.by }) })
          s.end(CLOSE_CODES.meetingEnded, 'SR_MEETING_ENDED', true)
        }
        return
      default:
        return
    }
  }
  const EVENTS = ['participant-admitted', 'participant-waiting', 'participant-denied', 'participant-removed', 'participant-left', 'meeting-locked', 'meeting-unlocked', 'meeting-ended', 'key-rotation-needed'] as const
  for (const type of EVENTS) ctx.meetings.on(type, onEvent)

  app.addHook('onClose', async () => {
    await keeper.close()
    await watch.close()
    for (const type of EVENTS) ctx.meetings.off(type, onEvent)
    offStateLost()
    await subscription.unsubscribe()
  })

  await app.register(websocket, {
    options: {
      maxPayload: LIMITS.maxFrameBytes * 4,
      handleProtocols: (protocols: Set<string>) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
    },
  })

  app.get(SIGNAL_PATH, { websocket: true, schema: { hide: true }, config: { auth: 'none' } }, (socket, request) => {
    if (socket.protocol !== SUBPROTOCOL) {
      socket.close(CLOSE_CODES.unsupportedProtocol, 'SR_UNSUPPORTED_PROTOCOL')
      return
    }
    const limits = socketLimits(options, ctx.config().regionById(ctx.region))
    const address = observedAddress(request.socket.remoteAddress, request.headers['x-forwarded-for'], limits.trustedProxy)
    const messageRate: TokenBucketOptions = { ...limits.rate, onEmpty: () => refused.inc({ scope: 'signal_message' }) }
    // Sockets that never join cost a socket each until the join timer fires: capped per address and per node (issue 9, item 2).
    const caps = limits.unjoinedSockets
    if ((unjoined.get(address) ?? 0) >= caps.perAddress || unjoinedTotal >= caps.perNode) {
      metrics.unjoinedRefused.inc()
      socket.send(encodeServerMessage({ type: 'error', code: 'SR_TOO_MANY_UNJOINED', message: ERROR_CODES.SR_TOO_MANY_UNJOINED.message }))
      socket.close(CLOSE_CODES.tooManyUnjoined, 'SR_TOO_MANY_UNJOINED')
      return
    }
    unjoined.set(address, (unjoined.get(address) ?? 0) + 1)
    unjoinedTotal += 1
    let counted = true
    let timer: NodeJS.Timeout | undefined
    /** The socket joined or closed: it no longer counts as unjoined, and only a join stops the join timer. */
    const settle = () => {
      clearTimeout(timer)
      if (!counted) return
      counted = false
      unjoinedTotal -= 1
      const n = (unjoined.get(address) ?? 1) - 1
      if (n <= 0) unjoined.delete(address)
      else unjoined.set(address, n)
    }
    const session: SignalSession = new SignalSession(socket, address, {
      region: ctx.region,
      meetings: ctx.meetings,
      metrics,
      signalUrlOf: (region) => {
        const r = ctx.config().regionById(region)
        return r ? signalUrl(r.controlPlane.url) : undefined
      },
      publish,
      deliverKey: (meetingId, participantId, publicKey) => ctx.keys.deliver(meetingId, { participantId, publicKey }),
      register: (s) => {
        settle()
        const id = s.meetingId
        if (id === undefined) return
        let set = byMeeting.get(id)
        if (!set) byMeeting.set(id, (set = new Set()))
        set.add(s)
      },
      unregister: (s) => {
        const id = s.meetingId
        if (id === undefined) return
        const set = byMeeting.get(id)
        set?.delete(s)
        if (set?.size === 0) byMeeting.delete(id)
      },
      // The session spreads these into its TokenBucket, so refusals are counted without a call on the success path.
      rate: messageRate,
      maxBufferedBytes: limits.maxBufferedBytes,
      presenceLeaseMs: keeper.leaseMs,
      now: ctx.now,
      log,
    })
    // Per client address and node: a reconnect storm or a passcode-guessing loop opens sockets fast.
    const { perSecond, burst } = limits.joinsPerAddress
    if (!joinBuckets.take(address, perSecond, burst)) {
      refused.inc({ scope: 'signal_join' })
      settle()
      session.fail('SR_RATE_LIMITED', 'too many new signaling connections from this address')
      return
    }
    // Only a successful join (register) clears it: a ping or a refused message before join does not.
    timer = setTimeout(() => {
      if (session.state === 'new') session.fail('SR_JOIN_TIMEOUT')
    }, limits.joinTimeoutMs)
    timer.unref()
    socket.on('message', (data, isBinary) => {
      if (byteLength(data) > limits.maxMessageBytes) return session.fail('SR_MESSAGE_TOO_LARGE', `frame over ${limits.maxMessageBytes} bytes`)
      session.receive(data, isBinary)
    })
    socket.on('close', () => {
      settle()
      session.closed()
    })
    socket.on('error', (err) => log(err, 'signaling socket'))
  })
}

export default fp(signalingPlugin, { name: 'sovereign-signaling', dependencies: ['sovereign-metrics'] })
