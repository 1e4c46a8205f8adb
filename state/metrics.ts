/**
 * Prometheus metrics of the state layer, fed by events (health changes, revocations
 * received), never by the stores' hot paths. A relay or control plane registers them
 * once on its own registry and attaches each region state it opens.
 *
 *   sovereign_state_connection_up{region,connection}        1 while connected
 *   sovereign_state_connection_state{region,connection,state} 1 for the current state
 *   sovereign_state_reconnects_total{region,connection}      outages recovered from
 *   sovereign_state_revocation_latency_seconds{region}        publish -> received
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { ConnectionHealth, HealthSnapshot, HealthState } from './health.js'
import type { RegionState } from './region-state.js'
import type { PolicyCache, ReceivedRevocation } from './policy-cache.js'
import { homeRegionOf } from './meeting-id.js'

const STATES: readonly HealthState[] = ['connecting', 'connected', 'reconnecting', 'down', 'closed']

export interface StateMetrics {
  /** Follow a region state's two connections; returns a detach function. */
  attach(state: RegionState): () => void
  /** Record revocation latency from a relay's policy cache; returns a detach function. */
  observeRevocations(cache: PolicyCache): () => void
}

export function createStateMetrics(registry: Registry): StateMetrics {
  const up = new Gauge({ name: 'sovereign_state_connection_up', help: '1 while the Redis connection is connected', labelNames: ['region', 'connection'], registers: [registry] })
  const state = new Gauge({ name: 'sovereign_state_connection_state', help: 'current connection state (1 for the current one)', labelNames: ['region', 'connection', 'state'], registers: [registry] })
  const reconnects = new Counter({ name: 'sovereign_state_reconnects_total', help: 'connections restored after an outage', labelNames: ['region', 'connection'], registers: [registry] })
  const revocationLatency = new Histogram({
    name: 'sovereign_state_revocation_latency_seconds',
    help: 'revocation publish to receipt by this process',
    labelNames: ['region'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  })

  const follow = (region: string, connection: string, health: ConnectionHealth) => {
    const set = (s: HealthSnapshot) => {
      up.set({ region, connection }, s.state === 'connected' ? 1 : 0)
      for (const st of STATES) state.set({ region, connection, state: st }, s.state === st ? 1 : 0)
    }
    const onChange = (next: HealthSnapshot, prev: HealthSnapshot) => {
      set(next)
      if (next.state === 'connected' && (prev.state === 'reconnecting' || prev.state === 'down')) reconnects.inc({ region, connection })
    }
    set(health.snapshot)
    health.on('change', onChange)
    return () => health.off('change', onChange)
  }

  return {
    attach(s) {
      const a = follow(s.region, 'command', s.health)
      const b = follow(s.region, 'subscriber', s.subscriberHealth)
      return () => {
        a()
        b()
      }
    },
    observeRevocations(cache) {
      const on = (m: ReceivedRevocation) => revocationLatency.observe({ region: homeRegionOf(m.meetingId) ?? 'unknown' }, Math.max(0, m.receivedAt - m.at) / 1000)
      cache.on('revoked', on)
      return () => cache.off('revoked', on)
    },
  }
}
