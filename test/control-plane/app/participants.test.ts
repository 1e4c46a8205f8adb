import t from 'tap'

import { bearer, dropPrefix, network, REDIS_URL, startRegion } from './fixture.js'
import { openRegionState } from '../../../state/region-state.js'
import type { RevocationMessage } from '../../../state/revocation.js'

const net = network()
const eu = await startRegion(net, 'eu-central')
// A second connection to the region's Redis stands in for a relay listening for revocations.
const relaySide = openRegionState({ region: 'eu-central', redis: { url: REDIS_URL }, prefix: net.prefix })
await Promise.all([relaySide.health.when('connected'), relaySide.subscriberHealth.when('connected')])
t.teardown(async () => {
  await dropPrefix(eu.state, net.prefix)
  await Promise.all([eu.close(), relaySide.close()])
})
const { app } = eu

async function meetingWithParticipant(settings: object = {}) {
  const m = (await app.inject({ method: 'POST', url: '/v1/meetings', headers: bearer(net.keys.acme), payload: { joinBeforeHost: true, ...settings } })).json()
  const minted = (await app.inject({ method: 'POST', url: `/v1/meetings/${m.id}/tokens`, headers: bearer(net.keys.acme), payload: { identity: 'bob', role: 'attendee' } })).json()
  const joined = await app.sovereign.meetings.join({ token: minted.token, passcode: m.passcode, address: '127.1.0.9' })
  if (joined.outcome !== 'admitted') throw new Error(`not admitted: ${JSON.stringify(joined)}`)
  return { m, minted, participantId: joined.participant.id }
}

t.test('the participant list shows an admitted participant with its country but not its address', async (t) => {
  const { m, participantId } = await meetingWithParticipant()
  const res = await app.inject({ method: 'GET', url: `/v1/meetings/${m.id}/participants`, headers: bearer(net.keys.acme) })
  t.equal(res.statusCode, 200)
  const [p] = res.json().participants
  t.equal(p.id, participantId)
  t.equal(p.identity, 'bob')
  t.equal(p.status, 'admitted')
  t.equal(p.node, 'eu-central-cp-1')
  t.notMatch(res.body, /127\.1\.0\.9/)
})

t.test('removing a participant stores its revocation, publishes it to the relays, bans it and takes its address out of the endpoint set', async (t) => {
  const { m, minted, participantId } = await meetingWithParticipant()
  t.ok((await relaySide.policy.snapshot(m.id))?.admittedEndpoints.has('127.1.0.9'), 'admitted: the address is an endpoint relays may send to')

  let received!: (message: RevocationMessage) => void
  const seen = new Promise<RevocationMessage>((resolve) => (received = resolve))
  // subscribe() resolves once the subscription is in place, so nothing published after it is missed
  const sub = await relaySide.revocations.subscribe((message) => {
    if (message.meetingId === m.id) received(message)
  })
  t.teardown(() => sub.unsubscribe())

  const res = await app.inject({ method: 'DELETE', url: `/v1/meetings/${m.id}/participants/${participantId}`, headers: bearer(net.keys.acme) })
  t.equal(res.statusCode, 200, res.body)
  t.same(res.json(), { participant: { ...res.json().participant, status: 'removed' }, banned: true, revoked: true })

  const message = await seen
  t.equal(message.participantId, participantId, 'the relay side received the revocation')
  t.ok(await relaySide.revocations.isRevoked(m.id, participantId), 'stored for relays that missed the message')
  t.ok(await relaySide.meetings.isBanned(m.id, participantId))
  t.notOk((await relaySide.policy.snapshot(m.id))?.admittedEndpoints.has('127.1.0.9'), 'the address left the endpoint set')

  const again = await app.sovereign.meetings.join({ token: minted.token, passcode: m.passcode, address: '127.1.0.9' })
  t.equal(again.outcome, 'denied')
  t.equal(again.outcome === 'denied' && again.code, 'SR_REMOVED_CANNOT_REJOIN', 'the same identity cannot come back')

  const audit = await eu.state.audit.read(m.id)
  t.ok(audit.some((e) => e.kind === 'removal' && e.participantId === participantId && e.reason === 'participant_revoked'))
})

t.test('a meeting that allows rejoining revokes but does not ban', async (t) => {
  const { m, minted, participantId } = await meetingWithParticipant({ allowRejoinAfterRemoval: true })
  const res = await app.inject({ method: 'DELETE', url: `/v1/meetings/${m.id}/participants/${participantId}`, headers: bearer(net.keys.acme) })
  t.equal(res.json().banned, false)
  t.ok(await eu.state.revocations.isRevoked(m.id, participantId))
  const again = await app.sovereign.meetings.join({ token: minted.token, passcode: m.passcode, address: '127.1.0.9' })
  t.equal(again.outcome, 'admitted')
})

t.test('removing someone who never joined is a 404 with SR_UNKNOWN_PARTICIPANT', async (t) => {
  const { m } = await meetingWithParticipant()
  const res = await app.inject({ method: 'DELETE', url: `/v1/meetings/${m.id}/participants/p_nobody`, headers: bearer(net.keys.acme) })
  t.equal(res.statusCode, 404)
  t.equal(res.json().code, 'SR_UNKNOWN_PARTICIPANT')
})
