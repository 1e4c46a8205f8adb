/**
 * `npm run bench:geo`: how fast geo answers, against references measured in the same run.
 *
 *   uncached   GeoLocator.lookupUncached over varied public addresses (parse, overrides,
 *              reserved ranges, tree walk) vs maxmind's own `reader.get` on the same keys
 *   cached     GeoLocator.lookup over a hot working set vs a bare Map.get of the same keys
 *   policy     one full admission decision: attendee policy (through the cached lookup)
 *              plus relay ranking over a 9-region, 27-relay fleet
 *
 * Targets (issue 3): ≥1,000,000 cached and ≥200,000 uncached lookups/s on one core.
 * Options: --seconds <n> per measurement (default 1), --json.
 */
import maxmind from 'maxmind'

import { Jurisdictions } from '../geo/jurisdictions.js'
import { openGeoLookup } from '../geo/lookup.js'
import { defaultDatabasePath } from '../geo/mmdb-reader.js'
import { admitAttendee } from '../geo/policy/attendee.js'
import { allowedRegions } from '../geo/policy/allowed-regions.js'
import { rankRelays, type RelayDescriptor } from '../geo/policy/relay-ranking.js'
import { Regions } from '../geo/regions.js'

const args = process.argv.slice(2)
const secondsArg = args.indexOf('--seconds')
const SECONDS = secondsArg >= 0 ? Number(args[secondsArg + 1]) : 1
const JSON_OUT = args.includes('--json')

/** Deterministic PRNG so every run measures the same addresses. */
function prng(seed: number): () => number {
  let s = seed >>> 0
  return () => (s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0)
}

function publicAddresses(n: number): string[] {
  const next = prng(7)
  const out: string[] = []
  while (out.length < n) {
    const a = next() % 223 + 1
    if (a === 10 || a === 127 || a === 100 || a === 169 || a === 172 || a === 192 || a === 198) continue
    if (out.length % 10 === 9) {
      // one in ten is IPv6 from the global unicast space
      out.push(`2${(next() % 0xfff).toString(16).padStart(3, '0')}:${(next() & 0xffff).toString(16)}:${(next() & 0xffff).toString(16)}::${(next() & 0xffff).toString(16)}`)
    } else {
      out.push(`${a}.${next() & 255}.${next() & 255}.${next() & 255}`)
    }
  }
  return out
}

/** Runs fn over keys in a loop for about SECONDS; returns operations per second. */
function measure(keys: readonly string[], fn: (k: string) => unknown): number {
  let sink = 0
  // warm-up: let the JIT settle
  for (let i = 0; i < Math.min(keys.length, 200_000); i++) if (fn(keys[i]!) !== undefined) sink++
  const budget = BigInt(Math.round(SECONDS * 1e9))
  const start = process.hrtime.bigint()
  let ops = 0
  let elapsed = 0n
  const n = keys.length
  while (elapsed < budget) {
    for (let i = 0; i < 10_000; i++) {
      if (fn(keys[(ops + i) % n]!) !== undefined) sink++
    }
    ops += 10_000
    elapsed = process.hrtime.bigint() - start
  }
  if (sink < 0) console.log(sink)
  return ops / (Number(elapsed) / 1e9)
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US')

const geo = await openGeoLookup({ overrides: [{ cidr: '127.1.0.0/16', country: 'DE' }, { cidr: '127.2.0.0/16', country: 'IN' }] }, { cacheSize: 65_536 })
const reference = await maxmind.open(defaultDatabasePath())

// ── uncached ──────────────────────────────────────────────────────────────
const varied = publicAddresses(1_000_000)
const uncached = measure(varied, (k) => geo.lookupUncached(k))
const maxmindRaw = measure(varied, (k) => reference.get(k))

// ── cached ────────────────────────────────────────────────────────────────
const hot = publicAddresses(10_000)
const map = new Map(hot.map((k) => [k, geo.lookup(k)]))
const cached = measure(hot, (k) => geo.lookup(k))
const bareMap = measure(hot, (k) => map.get(k))

// ── one full policy decision ──────────────────────────────────────────────
const jurisdictions = Jurisdictions.fromConfig()
const regionRows: Array<[string, string, number, number]> = [
  ['eu-central', 'DE', 50.11, 8.68], ['eu-west', 'FR', 48.86, 2.35], ['eu-south', 'IT', 45.46, 9.19],
  ['eu-north', 'SE', 59.33, 18.07], ['eu-east', 'PL', 52.23, 21.01], ['eea-north', 'NO', 59.91, 10.75],
  ['uk-london', 'GB', 51.51, -0.13], ['us-east', 'US', 38.9, -77.04], ['in-west', 'IN', 19.08, 72.88],
]
const regions = Regions.fromConfig(regionRows.map(([id, country, lat, lon]) => ({
  id, country, location: { lat, lon }, controlPlane: { url: `http://127.0.0.1/${id}` }, redis: { memory: true as const },
})), jurisdictions)
const fleet: RelayDescriptor[] = regionRows.flatMap(([id]) => [1, 2, 3].map((n) => ({
  id: `${id}-${n}`, region: id, healthy: n !== 3, draining: false, load: { allocations: n * 17 }, capacity: 100,
})))
const tenant = { allowedRegions: regionRows.map(([id]) => id), allowedJurisdictions: ['EU'] }
const allowed = allowedRegions({ homeRegion: 'eu-central', mode: 'jurisdiction', tenant, regions })
const attendeePolicy = { mode: 'block' as const, countries: ['CN', 'RU', 'KP'], unknown: 'deny' as const }
const decide = (ip: string) => {
  const verdict = admitAttendee(attendeePolicy, ip, geo)
  if (!verdict.allow) return verdict
  return rankRelays({ relays: fleet, allowedRegions: allowed.regions, regions, participant: geo.lookup(ip), limit: 3 })
}
const policy = measure(hot, decide)

const result = {
  uncachedLookupsPerSecond: Math.round(uncached),
  maxmindReaderGetPerSecond: Math.round(maxmindRaw),
  uncachedVsMaxmind: +(uncached / maxmindRaw).toFixed(2),
  cachedLookupsPerSecond: Math.round(cached),
  bareMapGetPerSecond: Math.round(bareMap),
  cachedVsMap: +(cached / bareMap).toFixed(2),
  policyDecisionsPerSecond: Math.round(policy),
  policyDecisionMicroseconds: +(1e6 / policy).toFixed(2),
  targets: { cached: 1_000_000, uncached: 200_000 },
  meetsTargets: cached >= 1_000_000 && uncached >= 200_000,
  node: process.version,
  secondsPerMeasurement: SECONDS,
}

if (JSON_OUT) {
  console.log(JSON.stringify(result, null, 2))
} else {
  console.log(`geo benchmark (${process.version}, one core, ${SECONDS}s per measurement)`)
  console.log(`  uncached lookups/s   ${fmt(uncached).padStart(12)}   maxmind reader.get ${fmt(maxmindRaw)}/s   ratio ${result.uncachedVsMaxmind}×   target ≥200,000`)
  console.log(`  cached lookups/s     ${fmt(cached).padStart(12)}   bare Map.get       ${fmt(bareMap)}/s   ratio ${result.cachedVsMap}×   target ≥1,000,000`)
  console.log(`  policy decisions/s   ${fmt(policy).padStart(12)}   (${result.policyDecisionMicroseconds} µs each: attendee check + ranking of ${fleet.length} relays)`)
  console.log(`  targets ${result.meetsTargets ? 'met' : 'NOT met'}`)
}
geo.close({ closeDatabase: true })
