/**
 * The least a ranking needs to know about a relay. Shaped so the fleet registry's live
 * relays (state/fleet.ts LiveRelay) satisfy it as they are; extra fields pass through
 * rankRelays untouched.
 */
export interface RelayDescriptor {
  readonly id: string
  /** Region id the relay runs in. */
  readonly region: string
  /**
   * False excludes the relay. Absent means healthy: the registry's live set holds only
   * relays that heartbeat within their TTL, which is what healthy means there. Set it
   * when another signal (failed probes, error rates) says otherwise.
   */
  readonly healthy?: boolean
  /** Finishing its allocations before shutdown: takes no new participants. */
  readonly draining: boolean
  /** Allocations it accepts. */
  readonly capacity: number
  readonly load: { readonly allocations: number }
}
