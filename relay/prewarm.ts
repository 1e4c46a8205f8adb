/**
 * Warms the request path before a relay takes traffic. V8 optimizes a function only after
 * it has run many times, and the allocation path's larger functions take 10-30 ms of
 * TurboFan each: a relay just started (a deploy, a restart, a failover) answered its first
 * ten thousand or so allocations on unoptimized code while compiling it, which is when a
 * reconnect storm arrives. So, at start-up, a throwaway TurnServer — its own random secret,
 * realm and nonce key, documentation addresses (RFC 5737), no sockets — runs the requests a
 * call makes: the 401, an authenticated Allocate, CreatePermission, ChannelBind, a Refresh
 * and the release. Nothing of it is shared with the relay's own server but the code.
 * It plays both sides, so it lives beside relay-node.ts, which runs it, and not in the
 * server (which knows nothing of clients).
 */
import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'

import { allow } from '../geo/verdict.js'
import { encodeRequest } from './client/client-messages.js'
import { turnRestCredential } from './client/rest-credential.js'
import {
  Attr,
  Method,
  MessageClass,
  TRANSPORT_UDP,
  decodeMessage,
  encodeChannelNumber,
  encodeLifetime,
  encodeRequestedTransport,
  encodeXorAddress,
  longTermKey,
  type StunMessage,
} from './proto/index.js'
import { TurnServer, restAuth, type Action, type FiveTuple } from './server/index.js'

export interface PrewarmResult {
  /** Allocations made and released. */
  readonly allocations: number
  readonly ms: number
}

const REALM = 'prewarm.invalid'

/** Runs `allocations` calls' worth of requests through a throwaway server. */
export function prewarmTurnServer(allocations: number): PrewarmResult {
  const t0 = performance.now()
  const secret = randomBytes(16).toString('hex')
  const server = new TurnServer({
    realm: REALM,
    software: 'sovereign-relay prewarm',
    auth: restAuth({ realm: REALM, secrets: [{ id: 'prewarm', value: secret }], nonceKeys: [randomBytes(32)], requireMeeting: false, now: Date.now }),
    peerSafety: () => allow('peer_allowed_by_operator'),
    relayAddresses: { 4: '192.0.2.1' },
    ports: { min: 49152, max: 65535 },
    now: Date.now,
  })
  let done = 0
  try {
    for (let i = 0; i < allocations; i++) {
      const tuple: FiveTuple = {
        transport: 'udp',
        client: { family: 4, address: `198.51.100.${i & 255}`, port: 1024 + (i >> 8) },
        server: { family: 4, address: '192.0.2.1', port: 3478 },
      }
      if (call(server, tuple, secret, i)) done++
    }
  } finally {
    server.close()
  }
  return { allocations: done, ms: performance.now() - t0 }
}

/** One call's requests; true when its allocation was made (and then released). */
function call(server: TurnServer, tuple: FiveTuple, secret: string, i: number): boolean {
  const transport = { type: Attr.RequestedTransport, value: encodeRequestedTransport(TRANSPORT_UDP) }
  const challenge = answer(server, tuple, encodeRequest(Method.Allocate, [transport], randomBytes(12)))
  const nonce = challenge?.attributes.find((a) => a.type === Attr.Nonce)?.value.toString('utf8')
  if (nonce === undefined) return false
  const { username, password } = turnRestCredential(secret, `prewarm-${i}`)
  const cred = { username, realm: REALM, nonce, key: longTermKey(username, REALM, password) }
  const allocated = answer(server, tuple, encodeRequest(Method.Allocate, [transport], randomBytes(12), cred))
  if (allocated?.cls !== MessageClass.SuccessResponse) return false
  const peer = { family: 4 as const, address: '203.0.113.7', port: 5000 + (i & 1023) }
  const xorPeer = (id: Buffer) => ({ type: Attr.XorPeerAddress, value: encodeXorAddress(peer, id) })
  let id = randomBytes(12)
  answer(server, tuple, encodeRequest(Method.CreatePermission, [xorPeer(id)], id, cred))
  id = randomBytes(12)
  answer(server, tuple, encodeRequest(Method.ChannelBind, [{ type: Attr.ChannelNumber, value: encodeChannelNumber(0x4000 + (i & 0x3ff)) }, xorPeer(id)], id, cred))
  answer(server, tuple, encodeRequest(Method.Refresh, [{ type: Attr.Lifetime, value: encodeLifetime(600) }], randomBytes(12), cred))
  answer(server, tuple, encodeRequest(Method.Refresh, [{ type: Attr.Lifetime, value: encodeLifetime(0) }], randomBytes(12), cred))
  return true
}

/** The server's response to one request, completing a relayed-socket bind it asks for. */
function answer(server: TurnServer, tuple: FiveTuple, request: Buffer): StunMessage | undefined {
  let pending = server.handleClientPacket(tuple, request)
  if (!Array.isArray(pending)) return undefined // an async policy: not one this server has
  let response: StunMessage | undefined
  while (pending.length > 0) {
    const next: Action[] = []
    for (const a of pending) {
      if (a.type === 'send-client') response = decodeMessage(a.data)
      else if (a.type === 'bind-relay') next.push(...server.relayBound(a.allocationId))
    }
    pending = next
  }
  return response
}
