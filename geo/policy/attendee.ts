/**
 * Whether an attendee may be admitted given the tenant's attendee geo policy and where
 * their address is (guarantee 6: the control plane asks at join with the client address,
 * the relay again at allocation with the source address).
 *
 *   no policy      → allow (no_residency_policy)
 *   open           → allow anyone, placed or not (attendee_policy_open)
 *   allow-list     → listed countries only; an unplaced address is denied whatever
 *                    `unknown` says — an allow-list cannot vouch for what it cannot see
 *   block-list     → all but listed countries; an unplaced address follows `unknown`
 *
 * "Unplaced" is a null country: garbage, reserved ranges without an override, and
 * addresses the database has no country for.
 */
import type { GeoLookup, GeoResult } from '../geo-result.js'
import { allow, deny, type Verdict } from '../verdict.js'

/** The config's attendeePolicy (AttendeePolicyConfig satisfies it). */
export interface AttendeePolicyInput {
  readonly mode: 'open' | 'allow' | 'block'
  readonly countries: readonly string[]
  readonly unknown: 'allow' | 'deny'
}

const where = (r: GeoResult): string => `${r.country ?? 'unknown'} (${r.source})`

/** The decision over an address already placed (pure). */
export function attendeeVerdict(policy: AttendeePolicyInput | undefined, place: GeoResult): Verdict {
  if (policy === undefined) return allow('no_residency_policy', where(place))
  switch (policy.mode) {
    case 'open':
      return allow('attendee_policy_open', where(place))
    case 'allow':
      if (place.country === null) return deny('country_unknown', where(place))
      return policy.countries.includes(place.country)
        ? allow('country_allowed', where(place))
        : deny('country_not_in_allow_list', where(place))
    case 'block':
      if (place.country === null) {
        return policy.unknown === 'allow' ? allow('unknown_country_allowed', where(place)) : deny('country_unknown', where(place))
      }
      return policy.countries.includes(place.country)
        ? deny('country_blocked', where(place))
        : allow('country_not_blocked', where(place))
    default:
      return deny('policy_unavailable', `unknown attendee policy mode ${String((policy as { mode: unknown }).mode)}`)
  }
}

/** A policy that does not say what it seems to say: which field, and why. */
export interface AttendeePolicyProblem {
  readonly field: 'countries' | 'unknown'
  readonly message: string
}

/**
 * Whether an attendee policy means what it seems to say: the one sanity check the config
 * rules (config/rules/tenant-rules.ts) and the meeting API (create, update) both apply.
 * A policy that silently means "nobody" or "everybody" is how residency promises break:
 *
 *   allow-list with no countries      → admits nobody
 *   allow-list admitting the unknown  → an allow-list cannot vouch for what it cannot see
 *   open with a country list          → the list would be silently ignored
 */
export function attendeePolicyProblems(policy: AttendeePolicyInput): AttendeePolicyProblem[] {
  const problems: AttendeePolicyProblem[] = []
  if (policy.mode === 'allow' && policy.countries.length === 0) {
    problems.push({ field: 'countries', message: 'an allow-list with no countries admits nobody; list the countries or use mode "open"' })
  }
  if (policy.mode === 'allow' && policy.unknown === 'allow') {
    problems.push({ field: 'unknown', message: 'under an allow-list, attendees whose country is unknown must be denied (unknown: deny)' })
  }
  if (policy.mode === 'open' && policy.countries.length > 0) {
    problems.push({ field: 'countries', message: 'mode "open" ignores the country list; use mode "allow" or "block" for it to apply' })
  }
  return problems
}

/** Places the address through the injected lookup, then decides. */
export function admitAttendee(policy: AttendeePolicyInput | undefined, ip: string, geo: GeoLookup): Verdict {
  return attendeeVerdict(policy, geo.lookup(ip))
}
