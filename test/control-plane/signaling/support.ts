/**
 * Signaling test support: listening control-plane nodes over the app fixture's network
 * (real Redis, unique prefix), clients that connect from a chosen 127.x address (geo
 * overrides place 127.1/16 in DE, 127.4/16 in FR, 127.5/16 in CN), and awaiting events.
 */
import WebSocket from 'ws'

import type { SignalClient, SignalClientEvents, WebSocketConstructor } from '../../../control-plane/client/signal-client.js'
import { signalUrl, type SignalingOptions } from '../../../control-plane/plugins/signaling.js'
import { GeoLocator } from '../../../geo/lookup.js'
import { buildApp } from '../../../control-plane/app.js'
import { deriveRegionKek } from '../../../control-plane/keys/at-rest.js'
import { openRegionState, type RegionStateOptions } from '../../../state/region-state.js'
import { REDIS_URL, type Network, type RegionApp } from '../app/fixture.js'

export const geo = new GeoLocator({ database: null, overrides: [{ cidr: '127.1.0.0/16', country: 'DE' }, { cidr: '127.4.0.0/16', country: 'FR' }, { cidr: '127.5.0.0/16', country: 'CN' }] })

export interface Node extends RegionApp {
  readonly url: string
}

/** One control-plane node of `region` on the network's Redis prefix, listening on a free loopback port, with a region KEK (managed keys). */
export async function startNode(net: Network, region: string, nodeId: string, signaling?: SignalingOptions, redis: Pick<RegionStateOptions, 'connection'> & { url?: string } = {}): Promise<Node> {
  const state = openRegionState({ region, redis: { url: redis.url ?? REDIS_URL }, prefix: net.prefix, ...(redis.connection ? { connection: redis.connection } : {}) })
  await state.ready()
  const kek = deriveRegionKek('kek-1', `media-kek-secret-of-${net.prefix}`, region)
  const app = await buildApp({ region, nodeId, config: () => net.config, state, geo, keks: () => [kek], defaultMetrics: false, ...(signaling ? { signaling } : {}) })
  const address = await app.listen({ host: '127.0.0.1', port: 0 })
  return {
    app, state, url: signalUrl(address),
    async close() {
      await app.close()
      await state.close()
    },
  }
}

/** A `ws` WebSocket whose connections leave from `localAddress`. */
export function socketFrom(localAddress: string): WebSocketConstructor {
  return class extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { localAddress })
    }
  } as unknown as WebSocketConstructor
}

/** The next emission of `event` (its arguments). */
export function next<K extends keyof SignalClientEvents>(client: SignalClient, event: K, filter: (...args: SignalClientEvents[K]) => boolean = () => true, timeoutMs = 15_000): Promise<SignalClientEvents[K]> {
  return new Promise((resolve, reject) => {
    // A missing event fails the test with its name instead of hanging until tap's timeout.
    const timer = setTimeout(() => {
      client.off(event, on)
      reject(new Error(`no '${String(event)}' event within ${timeoutMs} ms`))
    }, timeoutMs)
    timer.unref()
    const on = (...args: SignalClientEvents[K]) => {
      if (!filter(...args)) return
      clearTimeout(timer)
      client.off(event, on)
      resolve(args)
    }
    client.on(event, on)
  })
}

/** `promise`, or a failure naming `what` once `ms` have passed: a lost frame fails its step instead of hanging until tap's timeout. */
export function bounded<T>(promise: Promise<T>, what: string, ms = 15_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
