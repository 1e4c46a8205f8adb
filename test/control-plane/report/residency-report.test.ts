import t from 'tap'

import { buildResidencyReport, REPORT_FORMAT } from '../../../control-plane/report/residency-report.js'
import type { AuditEvent } from '../../../state/audit.js'
import { meeting, T0, trail } from './fixtures/audit-trail.js'

const generatedBy = { region: 'eu-west', node: 'cp-eu-1' }
const build = (entries: readonly AuditEvent[] = trail, extra: Partial<Parameters<typeof buildResidencyReport>[0]> = {}) =>
  buildResidencyReport({ meeting, entries, generatedAt: T0 + 3_600_000, generatedBy, ...extra })

t.test('the report of a compliant meeting says where media, signaling and keys went', async (t) => {
  const r = build()
  t.equal(r.format, REPORT_FORMAT)
  t.same(r.meeting, {
    id: meeting.id, tenant: 'acme', homeRegion: 'eu-west', residencyMode: 'region', keyMode: 'managed', allowedRegions: ['eu-west'],
    createdAt: '2026-11-25T09:00:00.000Z', endedAt: '2026-11-25T09:10:00.000Z',
  })
  t.same(r.period, { from: '2026-11-25T09:00:00.000Z', to: '2026-11-25T09:10:00.000Z' })
  t.same(r.generated, { at: '2026-11-25T10:00:00.000Z', region: 'eu-west', node: 'cp-eu-1' })
  t.same(r.summary, { compliant: true, violations: 0, entries: 17, allowed: 13, refused: 4, admittedParticipants: 2, distinctAddresses: 4 })
  t.same(r.media.regions, ['eu-west'])
  t.same(r.media.relays, [{ id: 'relay-eu-1', region: 'eu-west', decisions: 4, refused: 2, firstAt: '2026-11-25T09:00:40.000Z', lastAt: '2026-11-25T09:05:02.000Z' }])
  t.same(r.media.issued, [{ relay: 'relay-eu-1', region: 'eu-west', issuances: 2 }])
  t.same(r.signaling.regions, ['eu-west'])
  t.same(r.signaling.nodes.map((n) => [n.id, n.decisions, n.refused]), [['cp-eu-1', 5, 0], ['cp-eu-2', 3, 1]])
  t.same(r.keys.regions, ['eu-west'])
  t.same(r.keys.nodes.map((n) => n.id), ['cp-eu-1', 'cp-eu-2'])
  t.equal(r.keys.deliveries, 3)
  t.equal(r.keys.rotations, 1)
  t.same(r.participants.byCountry, [{ country: 'DE', participants: 1 }, { country: 'FR', participants: 1 }])
  t.same(r.participants.list.map((p) => [p.participantId, p.countries]), [['p_alice', ['DE']], ['p_bob', ['FR']]])
  t.same(r.redirects, { total: 1, fromRegions: [{ region: 'us-east', count: 1 }] })
  t.same(r.violations, [])
})

t.test('every refusal is listed with its reason, and counted by reason', async (t) => {
  const r = build()
  t.equal(r.refusals.total, 4)
  t.same(r.refusals.byReason, [
    { reason: 'country_blocked', count: 1 }, { reason: 'meeting_not_homed_here', count: 1 },
    { reason: 'participant_revoked', count: 1 }, { reason: 'peer_denied_range', count: 1 },
  ])
  const mallory = r.refusals.entries.find((e) => e.participantId === 'p_mallory')
  t.same(mallory, { at: '2026-11-25T09:00:20.000Z', actor: 'cp-eu-2', actorKind: 'control-plane', region: 'eu-west', kind: 'admission', reason: 'country_blocked', participantId: 'p_mallory', countries: ['KP'] })
  const metadata = r.refusals.entries.find((e) => e.reason === 'peer_denied_range')
  t.equal(metadata?.actorKind, 'relay')
})

t.test('participant addresses never appear in the report', async (t) => {
  const text = JSON.stringify(build())
  for (const address of ['127.0.0.10', '127.0.0.11', '127.0.0.66', '169.254.169.254']) t.notOk(text.includes(address), address)
})

t.test('media through a relay outside the allowed regions is a violation', async (t) => {
  const stray: AuditEvent = { at: T0 + 50_000, actor: 'relay-us-1', region: 'us-east', kind: 'allocation', allow: true, reason: 'home_region', participantId: 'p_alice' }
  const r = build([...trail, stray])
  t.equal(r.summary.compliant, false)
  t.same(r.media.regions, ['eu-west', 'us-east'])
  t.same(r.violations, [{ at: '2026-11-25T09:00:50.000Z', rule: 'media_outside_allowed_regions', actor: 'relay-us-1', region: 'us-east', kind: 'allocation', detail: 'relay relay-us-1 in us-east handled media' }])
})

t.test('a relay that only refused the meeting is listed under refusals, not as a carrier of its media', async (t) => {
  // relay-us-1 (another region) and relay-eu-2 (an allowed one) refused and carried nothing.
  const refusedOnly: AuditEvent[] = [
    { at: T0 + 50_000, actor: 'relay-us-1', region: 'us-east', kind: 'allocation', allow: false, reason: 'region_outside_allowed_set', participantId: 'p_alice', relayId: 'relay-us-1' },
    { at: T0 + 51_000, actor: 'relay-eu-2', region: 'eu-west', kind: 'allocation', allow: false, reason: 'country_blocked', participantId: 'p_mallory', relayId: 'relay-eu-2' },
    { at: T0 + 52_000, actor: 'relay-eu-2', region: 'eu-west', kind: 'peer', allow: false, reason: 'peer_not_in_meeting', participantId: 'p_alice', relayId: 'relay-eu-2' },
  ]
  const r = build([...trail, ...refusedOnly])
  t.same(r.media.regions, ['eu-west'], 'us-east carried nothing')
  t.same(r.media.relays.map((m) => m.id), ['relay-eu-1'], 'only the relay that carried media')
  t.same(r.refusals.entries.filter((e) => e.actor !== 'relay-eu-1' && e.actorKind === 'relay').map((e) => [e.actor, e.reason]), [
    ['relay-us-1', 'region_outside_allowed_set'], ['relay-eu-2', 'country_blocked'], ['relay-eu-2', 'peer_not_in_meeting'],
  ], 'their refusals stay under refusals')
  t.equal(r.summary.compliant, true)
  t.same(r.counts.byKind.find((k) => k.kind === 'allocation'), { kind: 'allocation', allowed: 1, refused: 3 }, 'and are still counted')
})

t.test('a carrier that also refused keeps its refusals in its own summary', async (t) => {
  const r = build()
  const eu1 = r.media.relays.find((m) => m.id === 'relay-eu-1')
  t.equal(eu1?.decisions, 4)
  t.equal(eu1?.refused, 2)
})

t.test('a relay of another region handed out by the control plane is a violation', async (t) => {
  const issued: AuditEvent = { at: T0 + 50_000, actor: 'cp-eu-1', region: 'eu-west', kind: 'relay-issued', allow: true, reason: 'home_region', relayId: 'relay-us-9' }
  const r = build([...trail, issued], { relayRegions: { 'relay-us-9': 'us-east' } })
  t.same(r.violations.map((v) => v.rule), ['media_outside_allowed_regions'])
  t.same(r.media.issued.find((i) => i.relay === 'relay-us-9'), { relay: 'relay-us-9', region: 'us-east', issuances: 1 })
})

t.test('signaling or keys handled by another region\'s node are violations; its redirects are not', async (t) => {
  const extra: AuditEvent[] = [
    { at: T0 + 60_000, actor: 'cp-us-1', region: 'us-east', kind: 'admission', allow: true, reason: 'country_allowed', participantId: 'p_eve', countries: ['US'] },
    { at: T0 + 61_000, actor: 'cp-us-1', region: 'us-east', kind: 'key-delivery', allow: true, reason: 'home_region', participantId: 'p_eve' },
  ]
  const r = build([...trail, ...extra])
  t.same(r.violations.map((v) => v.rule), ['signaling_outside_home_region', 'keys_outside_home_region'])
  t.same(r.signaling.regions, ['eu-west', 'us-east'])
  t.same(r.keys.regions, ['eu-west', 'us-east'])
})

t.test('an allowed decision without a recorded region is not given the benefit of the doubt', async (t) => {
  const r = build([...trail, { at: T0 + 70_000, actor: 'relay-x', kind: 'allocation', allow: true, reason: 'home_region' }])
  t.same(r.violations.map((v) => v.rule), ['actor_region_unrecorded'])
})

t.test('in jurisdiction mode media may use every allowed region but signaling stays home', async (t) => {
  const jm = { ...meeting, residencyMode: 'jurisdiction' as const, allowedRegions: ['eu-west', 'eu-central'] }
  const entries: AuditEvent[] = [...trail, { at: T0 + 80_000, actor: 'relay-fra-1', region: 'eu-central', kind: 'allocation', allow: true, reason: 'in_jurisdiction' }]
  const r = buildResidencyReport({ meeting: jm, entries, generatedAt: T0, generatedBy })
  t.equal(r.summary.compliant, true)
  t.same(r.media.regions, ['eu-central', 'eu-west'])
  t.same(r.meeting.allowedRegions, ['eu-central', 'eu-west'])
})

t.test('the report does not depend on the order entries arrive in', async (t) => {
  t.same(build([...trail].reverse()), build())
})

t.test('an empty audit trail gives an empty, compliant report', async (t) => {
  const r = buildResidencyReport({ meeting: { ...meeting, createdAt: undefined, endedAt: undefined }, entries: [], generatedAt: T0, generatedBy })
  t.same(r.period, { from: null, to: null })
  t.equal(r.summary.compliant, true)
  t.equal(r.summary.entries, 0)
})

t.test('a failover is listed with the relay left, why, when, by whom and where the participant went', async (t) => {
  const moved: AuditEvent[] = [
    { at: T0 + 90_000, actor: 'cp-eu-1', region: 'eu-west', kind: 'relay-failover', allow: true, reason: 'relay_lost', participantId: 'p_alice', relayId: 'relay-eu-1', detail: 'to relay-eu-2' },
    { at: T0 + 95_000, actor: 'cp-eu-2', region: 'eu-west', kind: 'relay-failover', allow: false, reason: 'relay_draining', participantId: 'p_bob', relayId: 'relay-eu-2', detail: 'no relay of the allowed set left' },
  ]
  const r = build([...trail, ...moved], { relayRegions: { 'relay-eu-2': 'eu-west' } })
  t.same(r.media.failovers, [
    { at: '2026-11-25T09:01:30.000Z', relay: 'relay-eu-1', region: 'eu-west', reason: 'relay_lost', participantId: 'p_alice', moved: true, detail: 'to relay-eu-2', by: 'cp-eu-1' },
    { at: '2026-11-25T09:01:35.000Z', relay: 'relay-eu-2', region: 'eu-west', reason: 'relay_draining', participantId: 'p_bob', moved: false, detail: 'no relay of the allowed set left', by: 'cp-eu-2' },
  ])
  t.ok(r.refusals.entries.some((e) => e.kind === 'relay-failover' && e.reason === 'relay_draining'), 'a failover with nowhere to go is a refusal')
  t.same(r.media.issued, [{ relay: 'relay-eu-1', region: 'eu-west', issuances: 2 }], 'the relay left is not counted as issued')
  t.equal(r.summary.compliant, true)
  t.same(build().media.failovers, [], 'a meeting without failover lists none')
})
