/**
 * The relays handed to one participant: geo/policy's ranking over the live fleet of the
 * meeting's allowed region set (only those regions' relays are ever candidates), cut to
 * a few. The verdict says why, for the audit stream.
 *
 * Each selection is timed and published on the `sovereign.relay-selection` diagnostics
 * channel (node:diagnostics_channel: free when nobody listens, and the pure function needs
 * no metrics object); control-plane/plugins/metrics.ts turns it into a histogram.
 */
import { channel } from 'node:diagnostics_channel'
import { performance } from 'node:perf_hooks'

import type { Coordinates } from '../../geo/countries.js'
import { regionInAllowedSet } from '../../geo/policy/allowed-regions.js'
import { rankRelays } from '../../geo/policy/relay-ranking.js'
import { allow, deny, type Verdict } from '../../geo/verdict.js'
import type { LiveRelay } from '../../state/fleet.js'

export interface RelayChoice {
  readonly verdict: Verdict
  readonly relays: readonly LiveRelay[]
}

/** What `sovereign.relay-selection` carries: one message per selection. */
export interface RelaySelectionTiming {
  /** The meeting's home region (first of its allowed set): whose control plane selected. */
  readonly homeRegion: string
  readonly seconds: number
  /** Relays handed out (0: none in the allowed set could take the participant). */
  readonly relays: number
  /** Live relays considered, draining and full ones included. */
  readonly candidates: number
}

export const relaySelectionChannel = channel('sovereign.relay-selection')

export function selectRelays(input: {
  readonly relays: readonly LiveRelay[]
  readonly allowedRegions: readonly string[]
  readonly regions: { get(id: string): { readonly location: Coordinates } | undefined }
  readonly near?: Coordinates
  readonly max?: number
}): RelayChoice {
  const started = performance.now()
  const choice = choose(input)
  if (relaySelectionChannel.hasSubscribers) {
    const timing: RelaySelectionTiming = {
      homeRegion: input.allowedRegions[0] ?? '', seconds: (performance.now() - started) / 1000, relays: choice.relays.length, candidates: input.relays.length,
    }
    relaySelectionChannel.publish(timing)
  }
  return choice
}

function choose(input: Parameters<typeof selectRelays>[0]): RelayChoice {
  const ranked = rankRelays({
    relays: input.relays, allowedRegions: input.allowedRegions, regions: input.regions,
    participant: input.near ? { location: input.near } : null, limit: input.max ?? 2,
  })
  if (!ranked.ok) return { verdict: deny(ranked.reason, ranked.detail), relays: [] }
  // Home region when every relay handed out is of the home region, else in jurisdiction (geo/policy says which each is).
  const reasons = ranked.relays.map((r) => regionInAllowedSet(r.region, input.allowedRegions).reason)
  const reason = reasons.includes('in_jurisdiction') ? 'in_jurisdiction' : 'home_region'
  return { verdict: allow(reason, ranked.relays.map((r) => r.id).join(',')), relays: ranked.relays }
}
