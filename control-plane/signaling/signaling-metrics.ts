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
  }
}
