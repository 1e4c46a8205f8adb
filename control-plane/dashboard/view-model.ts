/**
 * The dashboard's view model: everything the page shows, built from what was read
 * (pure, no I/O; the hub gathers the inputs). The page only lays it out.
 *
 * Scope, said on the page: the fleets of every region of the network (each region's
 * live relays are readable from here), but meetings, participants and decisions only of
 * meetings homed in THIS region — they live in this region's Redis and nowhere else
 * (guarantee 4); another region's dashboard shows its own.
 */
import type { Region } from '../../geo/regions.js'
import type { Decision } from '../../state/decision-feed.js'
import type { LiveRelay } from '../../state/fleet.js'
import type { MeetingRecord, Participant } from '../../state/meetings.js'
import { toneOf, type DecisionTone, type MeetingActivity } from './meeting-activity.js'

/** A relay whose last heartbeat is older than this is shown as stale (beats come every second). */
export const STALE_AFTER_MS = 2500

export type RelayHealth = 'ok' | 'draining' | 'full' | 'stale'

export interface RelayView {
  readonly id: string
  readonly udp: readonly string[]
  readonly tcp: readonly string[]
  /** TURN over TLS endpoints (`name:port`); empty without a TLS listener. */
  readonly tls: readonly string[]
  readonly health: RelayHealth
  readonly draining: boolean
  readonly allocations: number
  readonly capacity: number
  /** allocations / capacity, 0..1 (1 when capacity is 0). */
  readonly load: number
  readonly cpu: number
  readonly packetsPerSecond: number
  readonly bytesPerSecond: number
  readonly version: string
  /** ms since the relay sent its last heartbeat. */
  readonly beatAgeMs: number
  /** Participants of this region's meetings the relay has allocations for. */
  readonly carrying: number
}

export interface RegionView {
  readonly id: string
  readonly name: string
  readonly country: string
  readonly jurisdictions: readonly string[]
  /** This control plane's region. */
  readonly here: boolean
  readonly dashboardUrl: string
  /** false when the region's fleet could not be read. */
  readonly available: boolean
  readonly error?: string
  readonly relays: readonly RelayView[]
  readonly totals: { readonly relays: number; readonly draining: number; readonly allocations: number; readonly capacity: number }
}

export interface CountryCount {
  readonly country: string
  readonly count: number
}

export interface ParticipantView {
  readonly id: string
  readonly identity: string
  readonly role: Participant['role']
  readonly status: Participant['status']
  /** null: geo could not place the address. */
  readonly country: string | null
  /** Relays holding an allocation for it (the relays' own audit records). */
  readonly allocatedOn: readonly string[]
  /** Relays the control plane handed it. */
  readonly issued: readonly string[]
}

export interface MeetingView {
  readonly id: string
  readonly title?: string
  readonly tenantId: string
  readonly homeRegion: string
  readonly residencyMode: MeetingRecord['residencyMode']
  readonly allowedRegions: readonly string[]
  readonly status: MeetingRecord['status']
  readonly createdAt: number
  readonly endedAt?: number
  readonly attendeePolicy: { readonly mode: string; readonly countries: readonly string[]; readonly unknown: string }
  readonly admitted: number
  readonly waiting: number
  /** Admitted and waiting participants by country ('??' for unplaced). */
  readonly byCountry: readonly CountryCount[]
  readonly refusals: number
  readonly participants: readonly ParticipantView[]
}

export interface DecisionView {
  readonly id: string
  readonly at: number
  readonly meetingId: string
  readonly actor: string
  readonly kind: string
  readonly allow: boolean
  readonly tone: DecisionTone
  readonly reason: string
  readonly detail?: string
  readonly region?: string
  readonly participantId?: string
  readonly relayId?: string
  readonly countries?: readonly string[]
}

export interface DashboardView {
  readonly region: string
  readonly nodeId: string
  readonly generatedAt: number
  /** What the meetings and decisions cover, in words (shown on the page). */
  readonly scope: string
  readonly regions: readonly RegionView[]
  readonly meetings: readonly MeetingView[]
  /** Admitted participants of the running meetings by country. */
  readonly countries: readonly CountryCount[]
  readonly totals: {
    readonly relays: number
    readonly draining: number
    readonly allocations: number
    readonly capacity: number
    readonly meetingsRunning: number
    readonly participantsAdmitted: number
    readonly refusals: number
  }
}

export type FleetRead = { readonly relays: readonly LiveRelay[] } | { readonly error: string }

export interface MeetingRead {
  readonly record: MeetingRecord
  readonly participants: readonly Participant[]
  readonly activity: MeetingActivity
}

export interface ViewInput {
  readonly region: string
  readonly nodeId: string
  readonly now: number
  readonly regions: readonly Pick<Region, 'id' | 'name' | 'country' | 'jurisdictions' | 'controlPlaneUrl'>[]
  readonly fleets: ReadonlyMap<string, FleetRead>
  readonly meetings: readonly MeetingRead[]
}

export function scopeOf(region: string): string {
  return `meetings homed in ${region}`
}

export function healthOf(relay: LiveRelay, now: number): RelayHealth {
  if (now - relay.sentAt > STALE_AFTER_MS) return 'stale'
  if (relay.draining) return 'draining'
  if (relay.load.allocations >= relay.capacity) return 'full'
  return 'ok'
}

/** Counts by country, most first, then by code; '??' for participants geo could not place. */
export function countByCountry(participants: readonly Pick<Participant, 'country'>[]): CountryCount[] {
  const counts = new Map<string, number>()
  for (const p of participants) counts.set(p.country ?? '??', (counts.get(p.country ?? '??') ?? 0) + 1)
  return [...counts].map(([country, count]) => ({ country, count })).sort((a, b) => b.count - a.count || (a.country < b.country ? -1 : 1))
}

export function decisionView(d: Decision): DecisionView {
  // Addresses stay out of the page: the residency report has them; a glance needs countries.
  return {
    id: d.id, at: d.at, meetingId: d.meetingId, actor: d.actor, kind: d.kind, allow: d.allow, tone: toneOf(d), reason: d.reason,
    ...(d.detail === undefined ? {} : { detail: d.detail }),
    ...(d.region === undefined ? {} : { region: d.region }),
    ...(d.participantId === undefined ? {} : { participantId: d.participantId }),
    ...(d.relayId === undefined ? {} : { relayId: d.relayId }),
    ...(d.countries === undefined ? {} : { countries: [...d.countries] }),
  }
}

const sorted = (s: ReadonlySet<string> | undefined): string[] => [...(s ?? [])].sort()

function meetingView(m: MeetingRead): MeetingView {
  const { record, participants, activity } = m
  const present = participants.filter((p) => p.status === 'admitted' || p.status === 'waiting')
  const title = typeof record.data?.title === 'string' ? record.data.title : undefined
  return {
    id: record.id,
    ...(title === undefined ? {} : { title }),
    tenantId: record.tenantId,
    homeRegion: record.homeRegion,
    residencyMode: record.residencyMode,
    allowedRegions: [...record.allowedRegions],
    status: record.status,
    createdAt: record.createdAt,
    ...(record.endedAt === undefined ? {} : { endedAt: record.endedAt }),
    attendeePolicy: { mode: record.attendeePolicy.mode, countries: [...record.attendeePolicy.countries], unknown: record.attendeePolicy.unknown },
    admitted: participants.filter((p) => p.status === 'admitted').length,
    waiting: participants.filter((p) => p.status === 'waiting').length,
    byCountry: countByCountry(present),
    refusals: activity.refusals,
    participants: participants.map((p) => ({
      id: p.id, identity: p.identity, role: p.role, status: p.status, country: p.country ?? null,
      allocatedOn: p.status === 'admitted' ? sorted(activity.allocated.get(p.id)) : [],
      issued: sorted(activity.issued.get(p.id)),
    })),
  }
}

function relayView(relay: LiveRelay, now: number, carrying: number): RelayView {
  return {
    id: relay.id, udp: [...relay.udp], tcp: [...relay.tcp], tls: [...(relay.tls ?? [])], health: healthOf(relay, now), draining: relay.draining,
    allocations: relay.load.allocations, capacity: relay.capacity,
    load: relay.capacity > 0 ? Math.min(1, relay.load.allocations / relay.capacity) : 1,
    cpu: relay.load.cpu, packetsPerSecond: relay.load.packetsPerSecond, bytesPerSecond: relay.load.bytesPerSecond,
    version: relay.version, beatAgeMs: Math.max(0, now - relay.sentAt), carrying,
  }
}

export function buildView(input: ViewInput): DashboardView {
  const meetings = input.meetings.map(meetingView).sort((a, b) =>
    Number(a.status === 'ended') - Number(b.status === 'ended') || b.createdAt - a.createdAt || (a.id < b.id ? -1 : 1))
  const carrying = new Map<string, number>()
  for (const m of meetings) for (const p of m.participants) for (const r of p.allocatedOn) carrying.set(r, (carrying.get(r) ?? 0) + 1)

  const regions: RegionView[] = input.regions.map((r) => {
    const fleet = input.fleets.get(r.id) ?? { error: 'not read' }
    const base = {
      id: r.id, name: r.name, country: r.country, jurisdictions: [...r.jurisdictions], here: r.id === input.region,
      dashboardUrl: `${r.controlPlaneUrl.replace(/\/+$/, '')}/dashboard`,
    }
    if ('error' in fleet) return { ...base, available: false, error: fleet.error, relays: [], totals: { relays: 0, draining: 0, allocations: 0, capacity: 0 } }
    const relays = [...fleet.relays].sort((a, b) => (a.id < b.id ? -1 : 1)).map((relay) => relayView(relay, input.now, carrying.get(relay.id) ?? 0))
    return {
      ...base, available: true, relays,
      totals: {
        relays: relays.length,
        draining: relays.filter((x) => x.draining).length,
        allocations: relays.reduce((n, x) => n + x.allocations, 0),
        capacity: relays.reduce((n, x) => n + x.capacity, 0),
      },
    }
  })
  const running = meetings.filter((m) => m.status !== 'ended')
  const admitted = running.flatMap((m) => m.participants.filter((p) => p.status === 'admitted'))
  return {
    region: input.region,
    nodeId: input.nodeId,
    generatedAt: input.now,
    scope: scopeOf(input.region),
    regions,
    meetings,
    countries: countByCountry(admitted.map((p) => (p.country === null ? {} : { country: p.country }))),
    totals: {
      relays: regions.reduce((n, r) => n + r.totals.relays, 0),
      draining: regions.reduce((n, r) => n + r.totals.draining, 0),
      allocations: regions.reduce((n, r) => n + r.totals.allocations, 0),
      capacity: regions.reduce((n, r) => n + r.totals.capacity, 0),
      meetingsRunning: running.length,
      participantsAdmitted: admitted.length,
      refusals: meetings.reduce((n, m) => n + m.refusals, 0),
    },
  }
}
