import t from 'tap'

import { emptyActivity, foldAudit, toneOf } from '../../../control-plane/dashboard/meeting-activity.js'
import type { AuditRecord } from '../../../state/audit.js'

const rec = (id: string, over: Partial<AuditRecord>): AuditRecord => ({ id, at: 1, actor: 'cp-1', kind: 'admission', allow: true, reason: 'home_region', ...over })

t.test('a relay that allowed an allocation carries that participant; a relay handed out is only offered', async (t) => {
  const a = foldAudit(emptyActivity(), [
    rec('1-0', { kind: 'relay-issued', participantId: 'p_a', relayId: 'eu-c1' }),
    rec('1-1', { kind: 'relay-issued', participantId: 'p_a', relayId: 'eu-c2' }),
    rec('1-2', { kind: 'allocation', actor: 'eu-c1', participantId: 'p_a', relayId: 'eu-c1' }),
    rec('1-3', { kind: 'allocation', actor: 'eu-c2', participantId: 'p_b', relayId: 'eu-c2', allow: false, reason: 'country_blocked' }),
  ])
  t.same([...a.allocated.get('p_a')!], ['eu-c1'])
  t.same([...a.issued.get('p_a')!], ['eu-c1', 'eu-c2'])
  t.notOk(a.allocated.has('p_b'), 'a refused allocation carries nobody')
  t.equal(a.refusals, 1)
  t.equal(a.cursor, '1-3', 'the next read starts after the last record')
})

t.test('folding more records continues where the last fold stopped', async (t) => {
  const a = foldAudit(emptyActivity(), [rec('1-0', { kind: 'peer', allow: false, reason: 'peer_not_in_meeting' })])
  foldAudit(a, [rec('2-0', { kind: 'admission', allow: false, reason: 'country_blocked' }), rec('2-1', { kind: 'allocation', participantId: 'p_c', relayId: 'us-e1' })])
  t.equal(a.refusals, 2)
  t.same([...a.allocated.get('p_c')!], ['us-e1'])
  t.equal(a.cursor, '2-1')
})

t.test('ending a meeting or removing someone is a revocation, not a refusal', async (t) => {
  t.equal(toneOf({ allow: false, kind: 'meeting-ended' }), 'revocation')
  t.equal(toneOf({ allow: false, kind: 'removal' }), 'revocation')
  t.equal(toneOf({ allow: false, kind: 'peer' }), 'refusal')
  t.equal(toneOf({ allow: true, kind: 'peer' }), 'allow')
  const a = foldAudit(emptyActivity(), [rec('1-0', { kind: 'meeting-ended', allow: false, reason: 'meeting_ended' })])
  t.equal(a.refusals, 0)
})
