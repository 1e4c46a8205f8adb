/**
 * One demo participant's signaling session: a SignalClient whose WebSocket leaves from
 * the participant's own loopback address, so the control plane places it in the country
 * the geo overrides give that address (and records it as the participant's endpoint,
 * which is what the relays later permit as a peer).
 */
import WebSocket from 'ws'

import { SignalClient, type JoinResult, type WebSocketConstructor } from '../../control-plane/client/signal-client.js'
import type { WelcomeMessage } from '../../control-plane/protocol/server-messages.js'
import type { CastMember } from './cast.js'
import { within } from './demo-error.js'

export interface JoinedParticipant {
  readonly member: CastMember
  readonly client: SignalClient
  readonly welcome: WelcomeMessage
}

/** A `ws` WebSocket whose connections leave from `localAddress`. */
export function socketFrom(localAddress: string): WebSocketConstructor {
  return class extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { localAddress })
    }
  } as unknown as WebSocketConstructor
}

/** Connects and waits for the first answer to `join` (welcome, waiting, denied, redirect or closed). */
export async function join(signalUrl: string, member: CastMember, token: string, timeoutMs: number): Promise<{ client: SignalClient; result: JoinResult }> {
  const client = SignalClient.connect(signalUrl, {
    WebSocket: socketFrom(member.address),
    token,
    displayName: member.displayName,
    clientInfo: { name: 'sovereign-demo', version: '1' },
  })
  try {
    return { client, result: await within(client.joined, `${member.displayName} gets an answer to join`, timeoutMs) }
  } catch (err) {
    await client.close()
    throw err
  }
}
