/**
 * Signaling metrics in the app's registry (`sovereign_cp_` prefix). Labels are bounded:
 * join outcomes, error codes of the protocol catalogue, message kinds of the protocol.
 */
import { Counter, Histogram, type Registry } from 'prom-client'

export interface SignalingMetrics {
  readonly joins: Counter<'outcome'>
  readonly refusals: Counter<'code'>
  readonly messages: Counter<'kind'>
  readonly joinSeconds: Histogram
  readonly slowConsumers: Counter
  readonly unjoinedRefused: Counter
  readonly failovers: Counter<'cause' | 'outcome'>
}

export function createSignalingMetrics(registry: Registry): SignalingMetrics {
  const registers = [registry]
  return {
    joins: new Counter({ name: 'sovereign_cp_signal_joins_total', help: 'join messages by outcome (admitted, waiting, denied, redirect)', labelNames: ['outcome'], registers }),
    refusals: new Counter({ name: 'sovereign_cp_signal_admission_refusals_total', help: 'joins refused, by error code', labelNames: ['code'], registers }),
    messages: new Counter({ name: 'sovereign_cp_signal_messages_total', help: 'client messages handled, by type or signal kind', labelNames: ['kind'], registers }),
    joinSeconds: new Histogram({
      name: 'sovereign_cp_signal_join_duration_seconds', help: 'time from join message to welcome/waiting/denied', registers,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    }),
    slowConsumers: new Counter({ name: 'sovereign_cp_signal_slow_consumers_total', help: 'signaling sockets closed because too much was queued for them (SR_SLOW_CONSUMER, close 4019)', registers }),
    failovers: new Counter({ name: 'sovereign_cp_signal_failovers_total', help: 'participants moved off a relay that left the fleet or drains, by cause (relay-lost, relay-draining) and outcome (moved, no_relay)', labelNames: ['cause', 'outcome'], registers }),
    unjoinedRefused: new Counter({ name: 'sovereign_cp_signal_unjoined_refused_total', help: 'new signaling sockets refused because too many sockets had not joined yet, from the address or on the node (SR_TOO_MANY_UNJOINED, close 4021)', registers }),
  }
}
