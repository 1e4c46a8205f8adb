/**
 * Keeps the presence leases of the participants whose sockets this node holds (issue 9,
 * item 13), and settles the leases of the region that ran out: every `renewMs` it renews
 * its own leases, then claims the expired ones of any node (one claimer each) and lets
 * their participants leave through the meeting service, which announces
 * `participant-left` to the region. A node that dies stops renewing, so its participants
 * leave about one lease after its last renewal, unless they came back on another socket.
 *
 * After a round that could not reach the region's state (Redis down or failing over), it
 * renews but settles nothing for one lease: every lease of the region looks run out then,
 * and the live nodes need one renewal round to show theirs are not.
 *
 * Only the timer lives here; what a lease is and how it is claimed is state/presence.ts,
 * what leaving means is MeetingService.leave.
 */
import type { PresenceLease } from '../../state/presence.js'
import type { MeetingService } from '../services/meeting-service.js'
import { Rounds } from './rounds.js'

export interface PresenceKeeperOptions {
  readonly leaseMs: number
  /** How often leases are renewed and expired ones settled; at most half the lease is used. */
  readonly renewMs: number
  /** The leases of the sessions this node holds right now. */
  readonly held: () => PresenceLease[]
  readonly meetings: Pick<MeetingService, 'renewPresence' | 'settleExpiredPresence'>
  readonly log: (err: unknown, message: string) => void
  readonly now?: () => number
}

export class PresenceKeeper {
  readonly leaseMs: number
  /** The renewal period in force: two renewals fit in every lease, so one lost round trip does not drop anyone. */
  readonly renewMs: number
  readonly #options: PresenceKeeperOptions
  readonly #rounds: Rounds
  /** No settling before this time (ms); Infinity while rounds fail. */
  #settleFrom = 0
  readonly #now: () => number

  constructor(options: PresenceKeeperOptions) {
    this.#options = options
    this.leaseMs = options.leaseMs
    this.renewMs = Math.max(10, Math.min(options.renewMs, options.leaseMs / 2))
    this.#now = options.now ?? Date.now
    this.#rounds = new Rounds(this.renewMs, () => this.#round())
  }

  start(): void {
    this.#rounds.start()
  }

  /** One round: renew, then settle what ran out. Rounds never overlap; failures are logged and the next round tries again. */
  tick(): Promise<void> {
    return this.#rounds.tick()
  }

  /** Stops renewing (the leases then run out unless the sessions leave first). Idempotent. */
  close(): Promise<void> {
    return this.#rounds.close()
  }

  async #round(): Promise<void> {
    if (this.#rounds.closed) return
    const { meetings, log } = this.#options
    const failed = (what: string) => (err: unknown) => {
      this.#settleFrom = Infinity
      log(err, what)
    }
    let renewed = true
    await meetings.renewPresence(this.#options.held(), this.leaseMs).catch((err: unknown) => { renewed = false; failed('presence renewal')(err) })
    if (this.#rounds.closed || !renewed) return
    // Back after an outage: the other nodes get one lease to renew theirs before anything is settled.
    if (this.#settleFrom === Infinity) this.#settleFrom = this.#now() + this.leaseMs
    if (this.#now() < this.#settleFrom) return
    // The claimer has one lease to settle what it claimed before another node may claim it again.
    await meetings.settleExpiredPresence(this.leaseMs).catch(failed('presence expiry'))
  }
}
