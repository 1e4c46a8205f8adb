/**
 * THE key builder: every Redis key and pub/sub channel of the project comes from here.
 *
 * - Every key carries its region, so a glance at a key says whose data it is and a
 *   `--scan --pattern 'sr:{eu-central:*'` shows everything a region stores.
 * - Keys touched together share a Redis Cluster hash tag (the part in braces): all keys
 *   of one meeting live in `{<region>:m:<meetingId>}` and all fleet keys in
 *   `{<region>:fleet}`, so the multi-key Lua scripts run in Cluster (one slot each).
 * - Meeting keys can only be built by the key builder of the meeting's home region
 *   (guarantee 4): asking region B's builder for a region-A meeting throws, so no code
 *   path can accidentally copy meeting state into another region's Redis.
 * - Tests pass a unique `prefix` so parallel runs on one Redis never collide.
 */
import { homeRegionOf } from './meeting-id.js'
import { MeetingNotHomedHereError } from './errors.js'

const REGION = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$/
const PREFIX = /^[A-Za-z0-9_-]{1,64}$/

export interface MeetingKeys {
  /** Hash: rec (record JSON), v (version), status, endedAt. */
  readonly meeting: string
  /** Hash: participantId -> participant JSON (identity, role, addresses, ...). */
  readonly participants: string
  /** Hash: participantId -> status (waiting | admitted | left | removed). */
  readonly participantStatus: string
  /** Set of participant ids that were removed and may not rejoin. */
  readonly banned: string
  /** Hash: endpoint address -> number of admitted participants observed at it. */
  readonly endpoints: string
  /** Set of admitted participant ids (capacity is checked against it atomically). */
  readonly admitted: string
  /** Set of admitted host / co-host participant ids. */
  readonly hosts: string
  /** Hash: participantId | '*' -> "<revokedAt>:<expiresAt>"; key TTL = longest credential. */
  readonly revoked: string
  /** Counter bumped by every change a relay's policy cache must see. */
  readonly policyVersion: string
  /** Hash: epoch, sealed, createdAt — the managed-mode media key, sealed by the control plane. */
  readonly mediaKey: string
  /** Sorted set: participantId scored by when it left; only the newest few stay listed (the audit stream keeps them all). */
  readonly departed: string
  /** Stream of residency decisions (guarantee 7). */
  readonly audit: string
}

export interface FleetKeys {
  /** Sorted set: relayId scored by the expiry (ms) of its last heartbeat. */
  readonly live: string
  /** Hash: relayId -> last heartbeat JSON (registration + load + draining). */
  readonly relays: string
  /**
   * Hash: relayId -> operator drain request JSON (`{ requestedAt, by, reason? }`). No TTL:
   * it outlives the relay's heartbeats and restarts until an operator cancels it.
   */
  readonly drains: string
}

/** Region-wide views for operators (the SRE dashboard): bounded, one hash tag each. */
export interface RegionViewKeys {
  /** Sorted set: meetingId scored by when it leaves the index (+inf while it runs). */
  readonly meetings: string
  /** Stream of every residency decision of the region's meetings (capped, newest kept). */
  readonly decisions: string
}

export interface Channels {
  /** Revocations of the region's meetings: `{ meetingId, participantId?, at }`. */
  readonly revocations: string
  /** Policy invalidations: `{ meetingId, version }`. */
  readonly policy: string
  /** Generic signaling fan-out channel for the region's control-plane nodes. */
  bus(name: string): string
}

export class KeyBuilder {
  readonly region: string
  readonly prefix: string

  constructor(region: string, prefix = 'sr') {
    if (!REGION.test(region)) throw new TypeError(`invalid region id for keys: ${region}`)
    if (!PREFIX.test(prefix)) throw new TypeError(`invalid key prefix: ${prefix}`)
    this.region = region
    this.prefix = prefix
  }

  /** All keys of one meeting, in one hash slot. Throws unless the meeting is homed here. */
  meeting(meetingId: string): MeetingKeys {
    const home = homeRegionOf(meetingId)
    if (home !== this.region) throw new MeetingNotHomedHereError(meetingId, this.region)
    const base = `${this.prefix}:{${this.region}:m:${meetingId}}`
    return {
      meeting: `${base}:meeting`,
      participants: `${base}:participants`,
      participantStatus: `${base}:pstatus`,
      banned: `${base}:banned`,
      endpoints: `${base}:endpoints`,
      admitted: `${base}:admitted`,
      hosts: `${base}:hosts`,
      revoked: `${base}:revoked`,
      policyVersion: `${base}:pver`,
      audit: `${base}:audit`,
      mediaKey: `${base}:mediakey`,
      departed: `${base}:departed`,
    }
  }

  /**
   * Wrong-passcode counters of a meeting (state/passcode-attempts.ts): one per participant
   * id (derived from the identity, so a safe key part) and one for the whole meeting, in
   * the meeting's hash slot. Hashes `n`, `last`, `exp`, each with a TTL of their own.
   */
  passcodeAttempts(meetingId: string, participantId: string): { readonly identity: string; readonly meeting: string } {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(participantId)) throw new TypeError(`invalid participant id for keys: ${participantId}`)
    const base = this.meeting(meetingId).meeting.replace(/:meeting$/, '')
    return { identity: `${base}:pcfail:${participantId}`, meeting: `${base}:pcfail` }
  }

  fleet(): FleetKeys {
    const base = `${this.prefix}:{${this.region}:fleet}`
    return { live: `${base}:live`, relays: `${base}:relays`, drains: `${base}:drains` }
  }

  /** The region's meeting index and decision feed (region-wide, so not under a meeting's tag). */
  regionViews(): RegionViewKeys {
    return {
      meetings: `${this.prefix}:{${this.region}:index}:meetings`,
      decisions: `${this.prefix}:{${this.region}:feed}:decisions`,
    }
  }

  channels(): Channels {
    const base = `${this.prefix}:{${this.region}}:ch`
    return {
      revocations: `${base}:revocations`,
      policy: `${base}:policy`,
      bus: (name: string) => {
        if (!/^[A-Za-z0-9_.:-]{1,128}$/.test(name)) throw new TypeError(`invalid bus channel name: ${name}`)
        return `${base}:bus:${name}`
      },
    }
  }

  /**
   * Presence leases of the region's participants: a sorted set of
   * `<meetingId> <participantId> <session>` scored by when the lease runs out (ms), renewed
   * by the node holding the socket. Region-wide (not under a meeting's tag): every node
   * finds the leases that ran out in one read, whichever meeting they belong to.
   */
  presence(): string {
    return `${this.prefix}:{${this.region}:presence}:leases`
  }

  /**
   * Namespace of the control plane's HTTP rate-limit counters (@fastify/rate-limit's Redis
   * store appends `k:<api key id>` or `a:<client address>`); short-lived keys with a TTL.
   */
  rateLimit(): string {
    return `${this.prefix}:{${this.region}:rl}:`
  }

  /**
   * The region's state epoch: written once when the region's Redis is first used and
   * never expired, so a Redis that comes back without it lost its data (state-epoch.ts).
   */
  stateEpoch(): string {
    return `${this.prefix}:{${this.region}:epoch}`
  }

  /** Pattern matching every key of this region under this prefix (tests clean up with it). */
  everything(): string {
    return `${this.prefix}:{${this.region}*`
  }
}
