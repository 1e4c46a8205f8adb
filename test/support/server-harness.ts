/**
 * Drives the sans-IO TurnServer in tests: an injected clock moved by hand, a client
 * helper that speaks the long-term credential dance, and a stand-in for the socket
 * layer that completes `bind-relay` at once (or refuses, when asked to).
 */
import { allow, deny, type Verdict } from '../../geo/verdict.js'
import {
  Attr,
  Method,
  decodeMessage,
  encodeLifetime,
  encodeRequestedTransport,
  TRANSPORT_UDP,
  type AttributeInput,
  type StunMessage,
} from '../../relay/proto/index.js'
import type { RelayPolicy } from '../../relay/policy.js'
import { TurnServer, type Action, type FiveTuple, type TurnServerOptions } from '../../relay/server/index.js'
import { errorCodeOf, request, textOf, type Credentials } from './stun-builder.js'
import { restPassword, testAuth } from './test-auth.js'

export const SECRET = 'test-secret-123'
export const REALM = 'test.realm'
export const T0 = 1_700_000_000_000

/** Denies 10.0.0.0/8 only — a stand-in for peer safety in sans-IO tests. */
export const tenIsDenied = (address: string): Verdict => (address.startsWith('10.') ? deny('peer_denied_range') : allow('peer_allowed_by_operator'))

export function udpTuple(port = 40000, address = '192.0.2.1', transport: 'udp' | 'tcp' = 'udp'): FiveTuple {
  return { transport, client: { family: 4, address, port }, server: { family: 4, address: '192.0.2.100', port: 3478 } }
}

export interface Harness {
  server: TurnServer
  now(): number
  advance(ms: number): void
  /** Raw: all actions for one packet, with bind-relay completed by the fake socket layer. */
  send(tuple: FiveTuple, buf: Buffer): Promise<Action[]>
  /** The one response the server sends back for a request. */
  ask(tuple: FiveTuple, buf: Buffer): Promise<StunMessage>
  credential(meetingId?: string, participantId?: string, ttlSeconds?: number): { username: string; password: string }
  /** Gets a nonce by an unauthenticated request (the 401 dance), returns full credentials. */
  login(tuple: FiveTuple, user?: { username: string; password: string }): Promise<Credentials>
  allocate(tuple: FiveTuple, cred: Credentials, extra?: AttributeInput[]): Promise<StunMessage>
  /** Ports the fake socket layer refuses (EADDRINUSE stand-in). */
  busyPorts: Set<number>
  actions: Action[]
}

export function harness(opts: Partial<TurnServerOptions> & { policy?: RelayPolicy } = {}): Harness {
  let now = T0
  const busyPorts = new Set<number>()
  const all: Action[] = []
  const server = new TurnServer({
    realm: REALM,
    software: 'sovereign-test',
    auth: testAuth(SECRET, REALM),
    peerSafety: tenIsDenied,
    relayAddresses: { 4: '192.0.2.100' },
    ports: { min: 50000, max: 50099 },
    now: () => now,
    ...opts,
  })
  async function send(tuple: FiveTuple, buf: Buffer): Promise<Action[]> {
    const out: Action[] = []
    let pending = await server.handleClientPacket(tuple, buf)
    while (pending.length > 0) {
      const next: Action[] = []
      for (const a of pending) {
        if (a.type === 'bind-relay') next.push(...(busyPorts.has(a.port) ? server.relayBindFailed(a.allocationId) : server.relayBound(a.allocationId)))
        out.push(a)
      }
      pending = next
    }
    all.push(...out)
    return out
  }
  async function ask(tuple: FiveTuple, buf: Buffer): Promise<StunMessage> {
    const replies = (await send(tuple, buf)).filter((a) => a.type === 'send-client')
    if (replies.length !== 1) throw new Error(`expected one response, got ${replies.length}`)
    return decodeMessage((replies[0] as Extract<Action, { type: 'send-client' }>).data)
  }
  const credential = (meetingId = 'm1', participantId = 'p1', ttlSeconds = 3600): { username: string; password: string } => {
    const username = `${Math.floor(now / 1000) + ttlSeconds}:${meetingId}:${participantId}`
    return { username, password: restPassword(SECRET, username) }
  }
  return {
    server,
    now: () => now,
    advance: (ms) => {
      now += ms
    },
    send,
    ask,
    credential,
    async login(tuple, user = credential()) {
      const challenge = await ask(tuple, request(Method.Allocate, [transportUdp()]))
      if (errorCodeOf(challenge) !== 401) throw new Error(`expected 401, got ${errorCodeOf(challenge)}`)
      return { ...user, realm: textOf(challenge, Attr.Realm)!, nonce: textOf(challenge, Attr.Nonce)! }
    },
    allocate: (tuple, cred, extra = []) => ask(tuple, request(Method.Allocate, [transportUdp(), ...extra], cred)),
    busyPorts,
    actions: all,
  }
}

export const transportUdp = (): AttributeInput => ({ type: Attr.RequestedTransport, value: encodeRequestedTransport(TRANSPORT_UDP) })
export const lifetime = (s: number): AttributeInput => ({ type: Attr.Lifetime, value: encodeLifetime(s) })
