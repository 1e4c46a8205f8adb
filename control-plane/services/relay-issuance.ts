/**
 * Relays handed to an admitted participant: chosen from the live fleet of the meeting's
 * allowed set (relay-selection.ts), each with a meeting-scoped credential
 * (ice-servers.ts), and each issuance audited, one entry per relay so the report counts
 * them by relay and region. None at all is audited too, and published as a refusal.
 */
import type { NetworkConfig } from '../../config/network-config.js'
import type { GeoResult } from '../../geo/geo-result.js'
import { regionInAllowedSet } from '../../geo/policy/allowed-regions.js'
import type { LiveRelay } from '../../state/fleet.js'
import type { Participant } from '../../state/meetings.js'
import type { IceServerShape } from '../protocol/server-messages.js'
import { iceServersFor } from './ice-servers.js'
import type { MeetingJournal } from './meeting-journal.js'
import type { Meeting } from './meeting-records.js'
import { selectRelays } from './relay-selection.js'
import { regionsOf } from './residency-policy.js'

export interface IssueRelaysInput {
  readonly config: NetworkConfig
  readonly journal: MeetingJournal
  readonly meeting: Meeting
  readonly participant: Participant
  /** Where the participant is: relays nearer it rank first. */
  readonly where: GeoResult
  readonly relays: readonly LiveRelay[]
  readonly max: number
  readonly now: () => number
}

export interface IssuedRelays {
  readonly iceServers: IceServerShape[]
  /** The relays behind `iceServers`, in the same order: what failover watches for this participant. */
  readonly relays: Array<{ readonly id: string; readonly region: string }>
}

export async function issueRelays({ config, journal, meeting, participant, where, relays, max, now }: IssueRelaysInput): Promise<IssuedRelays> {
  const choice = selectRelays({
    relays, allowedRegions: meeting.allowedRegions, regions: regionsOf(config),
    ...(where.location ? { near: where.location } : {}), max,
  })
  // One relay at a time, so each ICE server stays paired with the relay behind it (a relay
  // of a region without a secret, or with no address, gets none).
  const iceServers: IceServerShape[] = []
  const handed: Array<{ id: string; region: string }> = []
  for (const relay of choice.relays) {
    const [server] = iceServersFor({ config, relays: [relay], meetingId: meeting.id, participantId: participant.id, now })
    if (server === undefined) continue
    iceServers.push(server)
    handed.push({ id: relay.id, region: relay.region })
  }
  // Sent together, in order (one connection keeps it).
  const writes: Promise<void>[] = []
  if (choice.relays.length === 0) {
    writes.push(journal.audit(meeting.id, { kind: 'relay-issued', allow: false, reason: choice.verdict.reason, participantId: participant.id, detail: 'no relay' }))
  }
  for (const relay of choice.relays) {
    writes.push(journal.audit(meeting.id, { kind: 'relay-issued', allow: true, reason: regionInAllowedSet(relay.region, meeting.allowedRegions).reason, participantId: participant.id, relayId: relay.id, detail: relay.region }))
  }
  if (!choice.verdict.allow) writes.push(journal.publish({ type: 'refused', meetingId: meeting.id, reason: choice.verdict.reason, kind: 'relay-issued' }))
  await Promise.all(writes)
  return { iceServers, relays: handed }
}
