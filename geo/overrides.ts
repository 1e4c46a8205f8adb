/**
 * Operator CIDR overrides: they win over the database and over the reserved-range rule
 * (private address plans, anycast ranges, and the loopback ranges the local network and
 * tests use to stand for countries). Compiled once into a prefix trie per family; the
 * longest matching prefix wins, so `10.0.0.0/8 → DE` with `10.9.0.0/16 → FR` says FR for
 * 10.9.1.1 and DE for 10.8.1.1. (The config loader may refuse overlaps outright; this
 * structure stays correct either way.)
 */
import { isCountryCode } from './countries.js'
import { GeoError } from './errors.js'
import { parseCidr } from './address/cidr.js'
import type { IpFamily } from './address/ip-address.js'
import { PrefixTrie } from './address/prefix-trie.js'

export interface OverrideRule {
  readonly cidr: string
  readonly country: string
  readonly note?: string
}

export interface OverrideMatch {
  readonly cidr: string
  readonly country: string
  readonly note?: string
}

export class Overrides {
  readonly #v4: PrefixTrie<OverrideMatch>
  readonly #v6: PrefixTrie<OverrideMatch>
  readonly rules: readonly OverrideRule[]

  private constructor(v4: PrefixTrie<OverrideMatch>, v6: PrefixTrie<OverrideMatch>, rules: readonly OverrideRule[]) {
    this.#v4 = v4
    this.#v6 = v6
    this.rules = rules
  }

  static readonly none: Overrides = Overrides.compile([])

  /** Throws GeoError (GEO_CIDR_INVALID, GEO_CIDR_DUPLICATE, GEO_COUNTRY_UNKNOWN) naming the rule's index. */
  static compile(rules: readonly OverrideRule[]): Overrides {
    const v4 = new PrefixTrie<OverrideMatch>(4)
    const v6 = new PrefixTrie<OverrideMatch>(6)
    rules.forEach((rule, i) => {
      const parsed = parseCidr(rule.cidr)
      if (!parsed.ok) throw new GeoError('GEO_CIDR_INVALID', `overrides[${i}].cidr: ${parsed.reason}`)
      const cidr = parsed.cidr
      if (!isCountryCode(rule.country)) {
        throw new GeoError('GEO_COUNTRY_UNKNOWN', `overrides[${i}].country: not an ISO 3166-1 alpha-2 code: ${rule.country}`)
      }
      const match: OverrideMatch = Object.freeze(rule.note === undefined
        ? { cidr: rule.cidr, country: rule.country }
        : { cidr: rule.cidr, country: rule.country, note: rule.note })
      const replaced = (cidr.family === 4 ? v4 : v6).insert(cidr.bytes, cidr.prefix, match)
      if (replaced) throw new GeoError('GEO_CIDR_DUPLICATE', `overrides[${i}].cidr: ${rule.cidr} repeats ${replaced.cidr}`)
    })
    return new Overrides(v4, v6, Object.freeze([...rules]))
  }

  get size(): number {
    return this.#v4.size + this.#v6.size
  }

  /** Longest-prefix match over already-parsed bytes (see geo/address/ip-address.ts parseHostIp). */
  matchBytes(family: IpFamily, bytes: Uint8Array): OverrideMatch | undefined {
    return family === 4 ? this.#v4.match(bytes) : this.#v6.match(bytes)
  }
}
