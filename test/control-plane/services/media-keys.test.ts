import t from 'tap'

import { generateParticipantKeyPair, openMediaKey } from '../../../control-plane/client/open-key.js'
import { deriveRegionKek } from '../../../control-plane/keys/at-rest.js'
import { MediaKeyService } from '../../../control-plane/services/media-keys.js'
import { MeetingService } from '../../../control-plane/services/meeting-service.js'
import type { MemoryRegion } from '../../../state/memory/backend.js'
import { openRegionState } from '../../../state/region-state.js'
import { network } from '../app/fixture.js'

const net = network()
const acme = net.config.tenantById('acme')!
const state = openRegionState({ region: 'eu-central', redis: { memory: true }, memoryBackends: new Map<string, MemoryRegion>(), warn: () => undefined })
const meetings = new MeetingService({ region: 'eu-central', nodeId: 'cp-1', config: () => net.config, state })
const kek = deriveRegionKek('kek-1', 'a-key-encryption-secret-for-tests', 'eu-central')
const keys = new MediaKeyService({ region: 'eu-central', nodeId: 'cp-1', state, keks: () => [kek] })

t.test('each participant receives the same media key sealed to its own public key, and only it can open it', async (t) => {
  const m = await meetings.create(acme, { keyMode: 'managed' })
  const alice = await generateParticipantKeyPair()
  const bob = await generateParticipantKeyPair()
  const forAlice = await keys.deliver(m.id, { participantId: 'p_alice', publicKey: alice.publicKey })
  const forBob = await keys.deliver(m.id, { participantId: 'p_bob', publicKey: bob.publicKey })
  t.equal(forAlice.version, 1)
  t.equal(forBob.version, 1)
  const a = await openMediaKey(forAlice.sealed, { keyPair: alice.keyPair, meetingId: m.id, version: 1, participantId: 'p_alice' })
  const b = await openMediaKey(forBob.sealed, { keyPair: bob.keyPair, meetingId: m.id, version: 1, participantId: 'p_bob' })
  t.same(Buffer.from(a), Buffer.from(b), 'one meeting key')
  await t.rejects(openMediaKey(forAlice.sealed, { keyPair: bob.keyPair, meetingId: m.id, version: 1, participantId: 'p_alice' }), { code: 'SR_KEY_UNAVAILABLE' })

  const stored = (await state.meetings.get(m.id))!.data!.mediaKey as { ct: string }
  t.notMatch(JSON.stringify(stored), Buffer.from(a).toString('base64url'), 'the stored key is not the key')

  const rotated = await keys.rotate(m.id, 'participant-removed')
  t.equal(rotated.version, 2)
  const again = await keys.deliver(m.id, { participantId: 'p_alice', publicKey: alice.publicKey })
  t.equal(again.version, 2)
  const a2 = await openMediaKey(again.sealed, { keyPair: alice.keyPair, meetingId: m.id, version: 2, participantId: 'p_alice' })
  t.notSame(Buffer.from(a2), Buffer.from(a), 'rotation makes a new key')

  const kinds = (await state.audit.read(m.id)).map((e) => e.kind).filter((k) => k.startsWith('key-'))
  t.same(kinds, ['key-generated', 'key-delivery', 'key-delivery', 'key-rotation', 'key-delivery'])
})

t.test('managed keys are refused for an e2ee meeting and without a key-encryption key', async (t) => {
  const e2ee = await meetings.create(acme, { keyMode: 'e2ee' })
  const p = await generateParticipantKeyPair()
  await t.rejects(keys.deliver(e2ee.id, { participantId: 'p_x', publicKey: p.publicKey }), { code: 'SR_MEETING_STATE_CONFLICT' })
  const managed = await meetings.create(acme, { keyMode: 'managed' })
  const noKek = new MediaKeyService({ region: 'eu-central', nodeId: 'cp-1', state, keks: () => [] })
  await t.rejects(noKek.deliver(managed.id, { participantId: 'p_x', publicKey: p.publicKey }), { code: 'SR_KEY_UNAVAILABLE' })
})
