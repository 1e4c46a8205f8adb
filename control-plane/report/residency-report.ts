/**
 * The residency report of one meeting (guarantee 7), built by a pure function from the
 * meeting's audit stream. It says which regions, relays and control-plane nodes handled
 * its media, signaling and keys, who was admitted from which country, what was refused
 * and why, and whether any recorded decision broke guarantees 1 and 3.
 *
 * What it can and cannot prove: it is exactly as complete as the audit stream. It shows
 * that every *recorded* decision kept to the allowed regions; it cannot show that nothing
 * unrecorded happened. An allowed decision whose actor region was not recorded is listed
 * as a violation (`actor_region_unrecorded`) rather than given the benefit of the doubt.
 *
 * Privacy: participants' IP addresses never enter the report (only how many distinct
 * addresses were seen); participant ids are the control plane's pseudonyms, not identities.
 */
import type { AuditEvent } from '../../state/audit.js'
import { actorKindOf, carriesMedia, evidenceOf, FAILOVER_KIND } from './audit-kinds.js'

export const REPORT_FORMAT = 'sovereign.residency-report.v1'

export interface ReportMeeting {
  readonly id: string
  readonly tenantId: string
  readonly homeRegion: string
  readonly residencyMode: 'region' | 'jurisdiction'
  readonly keyMode: 'e2ee' | 'managed'
  /** The regions media may use: the home region, or the jurisdiction's regions. */
  readonly allowedRegions: readonly string[]
  readonly createdAt?: number
  readonly endedAt?: number
}

export interface BuildReportInput {
  readonly meeting: ReportMeeting
  readonly entries: readonly AuditEvent[]
  readonly generatedAt: number
  readonly generatedBy: { readonly region: string; readonly node: string }
  /** Relay id → region, from the fleet registry, for `relay-issued` entries whose relay never wrote itself. */
  readonly relayRegions?: Readonly<Record<string, string>>
}

export type ViolationRule =
  | 'media_outside_allowed_regions'
  | 'signaling_outside_home_region'
  | 'keys_outside_home_region'
  | 'actor_region_unrecorded'

export interface ActorSummary {
  readonly id: string
  readonly region: string | null
  readonly decisions: number
  readonly refused: number
  readonly firstAt: string
  readonly lastAt: string
}

export interface ReportRefusal {
  readonly at: string
  readonly actor: string
  readonly actorKind: 'relay' | 'control-plane'
  readonly region: string | null
  readonly kind: string
  readonly reason: string
  readonly detail?: string
  readonly participantId?: string
  readonly countries?: readonly string[]
}

export interface ReportFailover {
  readonly at: string
  /** The relay the participant was moved off. */
  readonly relay: string
  readonly region: string | null
  readonly reason: string
  readonly participantId: string | null
  readonly moved: boolean
  readonly detail: string | null
  /** The control-plane node that moved it. */
  readonly by: string
}

export interface ReportViolation {
  readonly at: string
  readonly rule: ViolationRule
  readonly actor: string
  readonly region: string | null
  readonly kind: string
  readonly detail: string
}

export interface ResidencyReport {
  readonly format: typeof REPORT_FORMAT
  readonly meeting: {
    readonly id: string
    readonly tenant: string
    readonly homeRegion: string
    readonly residencyMode: 'region' | 'jurisdiction'
    readonly keyMode: 'e2ee' | 'managed'
    readonly allowedRegions: readonly string[]
    readonly createdAt: string | null
    readonly endedAt: string | null
  }
  readonly period: { readonly from: string | null; readonly to: string | null }
  readonly generated: { readonly at: string; readonly region: string; readonly node: string }
  readonly summary: {
    /** No recorded decision broke guarantee 1 or 3. */
    readonly compliant: boolean
    readonly violations: number
    readonly entries: number
    readonly allowed: number
    readonly refused: number
    readonly admittedParticipants: number
    readonly distinctAddresses: number
  }
  readonly media: {
    readonly regions: readonly string[]
    readonly relays: readonly ActorSummary[]
    readonly issued: ReadonlyArray<{ readonly relay: string; readonly region: string | null; readonly issuances: number }>
    /** Participants moved off a relay that died or drained (issue 12), in time order; `moved: false` when no relay of the set was left. */
    readonly failovers: readonly ReportFailover[]
  }
  readonly signaling: { readonly regions: readonly string[]; readonly nodes: readonly ActorSummary[] }
  readonly keys: {
    readonly mode: 'e2ee' | 'managed'
    readonly regions: readonly string[]
    readonly nodes: readonly ActorSummary[]
    readonly deliveries: number
    readonly rotations: number
  }
  readonly participants: {
    readonly admitted: number
    readonly byCountry: ReadonlyArray<{ readonly country: string; readonly participants: number }>
    readonly list: ReadonlyArray<{ readonly participantId: string; readonly countries: readonly string[]; readonly firstAdmittedAt: string }>
  }
  readonly refusals: {
    readonly total: number
    readonly byReason: ReadonlyArray<{ readonly reason: string; readonly count: number }>
    readonly entries: readonly ReportRefusal[]
  }
  readonly redirects: { readonly total: number; readonly fromRegions: ReadonlyArray<{ readonly region: string; readonly count: number }> }
  readonly violations: readonly ReportViolation[]
  readonly counts: { readonly byKind: ReadonlyArray<{ readonly kind: string; readonly allowed: number; readonly refused: number }> }
}

const iso = (ms: number) => new Date(ms).toISOString()
const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
const sorted = (values: Iterable<string>) => [...new Set(values)].sort(byString)

/**
 * Decisions per actor. `listed` says which decisions earn an actor its place in the
 * section (media: only a relay that carried something, not one that only refused);
 * a listed actor's summary still counts all its decisions, refusals included.
 */
class ActorTally {
  readonly #actors = new Map<string, { id: string; region: string | null; decisions: number; refused: number; first: number; last: number; listed: boolean }>()
  readonly #listed: (e: AuditEvent) => boolean
  constructor(listed: (e: AuditEvent) => boolean = () => true) {
    this.#listed = listed
  }
  add(e: AuditEvent): void {
    const key = `${e.actor}\u0000${e.region ?? ''}`
    const a = this.#actors.get(key) ?? { id: e.actor, region: e.region ?? null, decisions: 0, refused: 0, first: e.at, last: e.at, listed: false }
    a.decisions++
    if (!e.allow) a.refused++
    if (this.#listed(e)) a.listed = true
    a.first = Math.min(a.first, e.at)
    a.last = Math.max(a.last, e.at)
    this.#actors.set(key, a)
  }
  list(): ActorSummary[] {
    return [...this.#actors.values()]
      .filter((a) => a.listed)
      .sort((x, y) => byString(x.id, y.id) || byString(x.region ?? '', y.region ?? ''))
      .map((a) => ({ id: a.id, region: a.region, decisions: a.decisions, refused: a.refused, firstAt: iso(a.first), lastAt: iso(a.last) }))
  }
  regions(): string[] {
    return sorted([...this.#actors.values()].flatMap((a) => (a.region === null || !a.listed ? [] : [a.region])))
  }
}

const countMap = (m: Map<string, number>) => [...m.entries()].sort(([a], [b]) => byString(a, b))
const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1)

export function buildResidencyReport(input: BuildReportInput): ResidencyReport {
  const { meeting } = input
  const allowed = new Set(meeting.allowedRegions)
  const entries = [...input.entries].sort((a, b) => a.at - b.at)

  // Media lists carriers only: a relay that only refused the meeting carried nothing.
  const relays = new ActorTally(carriesMedia)
  const nodes = new ActorTally()
  const keyNodes = new ActorTally()
  const relayRegions = new Map(Object.entries(input.relayRegions ?? {}))
  for (const e of entries) if (actorKindOf(e.kind) === 'relay' && e.region !== undefined) relayRegions.set(e.actor, e.region)

  const issued = new Map<string, number>()
  const failovers: ReportFailover[] = []
  const participants = new Map<string, { countries: Set<string>; first: number }>()
  const addresses = new Set<string>()
  const refusals: ReportRefusal[] = []
  const refusalReasons = new Map<string, number>()
  const redirectsFrom = new Map<string, number>()
  const violations: ReportViolation[] = []
  const kinds = new Map<string, { allowed: number; refused: number }>()
  let deliveries = 0
  let rotations = 0

  const violation = (e: AuditEvent, rule: ViolationRule, detail: string) =>
    violations.push({ at: iso(e.at), rule, actor: e.actor, region: e.region ?? null, kind: e.kind, detail })

  for (const e of entries) {
    const k = kinds.get(e.kind) ?? { allowed: 0, refused: 0 }
    if (e.allow) k.allowed++
    else k.refused++
    kinds.set(e.kind, k)
    for (const a of e.addresses ?? []) addresses.add(a)

    if (!e.allow) {
      const refusal: ReportRefusal = {
        at: iso(e.at), actor: e.actor, actorKind: actorKindOf(e.kind), region: e.region ?? null, kind: e.kind, reason: e.reason,
        ...(e.detail !== undefined ? { detail: e.detail } : {}),
        ...(e.participantId !== undefined ? { participantId: e.participantId } : {}),
        ...(e.countries !== undefined ? { countries: sorted(e.countries) } : {}),
      }
      refusals.push(refusal)
      bump(refusalReasons, e.reason)
    }

    const evidence = evidenceOf(e.kind)
    if (evidence === 'redirect') {
      bump(redirectsFrom, e.region ?? 'unrecorded')
      continue
    }
    if (evidence === 'media') relays.add(e)
    else if (evidence === 'keys') keyNodes.add(e)
    else nodes.add(e)
    if (e.kind === FAILOVER_KIND && e.relayId !== undefined) {
      failovers.push({
        at: iso(e.at), relay: e.relayId, region: relayRegions.get(e.relayId) ?? null, reason: e.reason,
        participantId: e.participantId ?? null, moved: e.allow, detail: e.detail ?? null, by: e.actor,
      })
    }

    if (!e.allow) continue
    if (e.region === undefined) {
      if (evidence !== 'other') violation(e, 'actor_region_unrecorded', `${e.kind} by ${e.actor} allowed without a recorded region`)
    } else if (evidence === 'media' && !allowed.has(e.region)) {
      violation(e, 'media_outside_allowed_regions', `relay ${e.actor} in ${e.region} handled media`)
    } else if (evidence === 'keys' && e.region !== meeting.homeRegion) {
      violation(e, 'keys_outside_home_region', `${e.kind} by ${e.actor} in ${e.region}`)
    } else if ((evidence === 'signaling' || evidence === 'media-issuance') && e.region !== meeting.homeRegion) {
      violation(e, 'signaling_outside_home_region', `${e.kind} by ${e.actor} in ${e.region}`)
    }

    if (evidence === 'media-issuance' && e.relayId !== undefined) {
      bump(issued, e.relayId)
      const relayRegion = relayRegions.get(e.relayId)
      if (relayRegion !== undefined && !allowed.has(relayRegion)) {
        violation(e, 'media_outside_allowed_regions', `relay ${e.relayId} in ${relayRegion} was issued`)
      }
    }
    if (e.kind === 'key-delivery') deliveries++
    if (e.kind === 'key-rotation') rotations++
    if (e.kind === 'admission' && e.participantId !== undefined) {
      const p = participants.get(e.participantId) ?? { countries: new Set<string>(), first: e.at }
      for (const c of e.countries ?? []) p.countries.add(c)
      participants.set(e.participantId, p)
    }
  }

  const byCountry = new Map<string, number>()
  for (const p of participants.values()) for (const c of p.countries.size > 0 ? p.countries : ['unknown']) bump(byCountry, c)
  const from = meeting.createdAt ?? entries[0]?.at
  const to = meeting.endedAt ?? entries[entries.length - 1]?.at
  const allowedCount = entries.filter((e) => e.allow).length

  return {
    format: REPORT_FORMAT,
    meeting: {
      id: meeting.id,
      tenant: meeting.tenantId,
      homeRegion: meeting.homeRegion,
      residencyMode: meeting.residencyMode,
      keyMode: meeting.keyMode,
      allowedRegions: sorted(meeting.allowedRegions),
      createdAt: meeting.createdAt === undefined ? null : iso(meeting.createdAt),
      endedAt: meeting.endedAt === undefined ? null : iso(meeting.endedAt),
    },
    period: { from: from === undefined ? null : iso(from), to: to === undefined ? null : iso(to) },
    generated: { at: iso(input.generatedAt), region: input.generatedBy.region, node: input.generatedBy.node },
    summary: {
      compliant: violations.length === 0,
      violations: violations.length,
      entries: entries.length,
      allowed: allowedCount,
      refused: entries.length - allowedCount,
      admittedParticipants: participants.size,
      distinctAddresses: addresses.size,
    },
    media: {
      regions: sorted([...relays.regions(), ...[...issued.keys()].flatMap((r) => relayRegions.get(r) ?? [])]),
      relays: relays.list(),
      issued: countMap(issued).map(([relay, issuances]) => ({ relay, region: relayRegions.get(relay) ?? null, issuances })),
      failovers,
    },
    signaling: { regions: nodes.regions(), nodes: nodes.list() },
    keys: { mode: meeting.keyMode, regions: keyNodes.regions(), nodes: keyNodes.list(), deliveries, rotations },
    participants: {
      admitted: participants.size,
      byCountry: countMap(byCountry).map(([country, n]) => ({ country, participants: n })),
      list: [...participants.entries()].sort(([a], [b]) => byString(a, b))
        .map(([participantId, p]) => ({ participantId, countries: sorted(p.countries), firstAdmittedAt: iso(p.first) })),
    },
    refusals: {
      total: refusals.length,
      byReason: countMap(refusalReasons).map(([reason, count]) => ({ reason, count })),
      entries: refusals,
    },
    redirects: {
      total: [...redirectsFrom.values()].reduce((a, b) => a + b, 0),
      fromRegions: countMap(redirectsFrom).map(([region, count]) => ({ region, count })),
    },
    violations,
    counts: { byKind: [...kinds.entries()].sort(([a], [b]) => byString(a, b)).map(([kind, c]) => ({ kind, ...c })) },
  }
}
