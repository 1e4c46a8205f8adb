/**
 * The relays handed to one participant: geo/policy's ranking over the live fleet of the
 * meeting's allowed region set (only those regions' relays are ever candidates), cut to
 * a few. The verdict says why, for the audit stream.
 */
import type { Coordinates } from '../../geo/countries.js'
import { rankRelays } from '../../geo/policy/relay-ranking.js'
import { allow, deny, type Verdict } from '../../geo/verdict.js'
import type { LiveRelay } from '../../state/fleet.js'

export interface RelayChoice {
  readonly verdict: Verdict
  readonly relays: readonly LiveRelay[]
}

export function selectRelays(input: {
  readonly relays: readonly LiveRelay[]
  readonly allowedRegions: readonly string[]
  readonly regions: { get(id: string): { readonly location: Coordinates } | undefined }
  readonly near?: Coordinates
  readonly max?: number
}): RelayChoice {
  const ranked = rankRelays({
    relays: input.relays, allowedRegions: input.allowedRegions, regions: input.regions,
    participant: input.near ? { location: input.near } : null, limit: input.max ?? 2,
  })
  if (!ranked.ok) return { verdict: deny(ranked.reason, ranked.detail), relays: [] }
  const home = input.allowedRegions[0]
  const reason = ranked.relays.every((r) => r.region === home) ? 'home_region' : 'in_jurisdiction'
  return { verdict: allow(reason, ranked.relays.map((r) => r.id).join(',')), relays: ranked.relays }
}
