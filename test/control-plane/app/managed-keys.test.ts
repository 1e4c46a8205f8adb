/**
 * Managed key mode and the region's key-encryption keys from the config
 * (`regions[].mediaKeks`; the test network gives one to eu-central only):
 * - the HTTP API refuses a managed-mode meeting in a region without a KEK (422
 *   SR_KEY_MODE_UNAVAILABLE) instead of creating a meeting nobody can join;
 * - a managed meeting that exists where no KEK is available (the KEK was removed) refuses
 *   its participants with SR_KEY_UNAVAILABLE and close 4018, not an internal error (4500);
 * - with the config's KEK, a real socket gets its sealed key in the welcome.
 */
import t from 'tap'

import { generateParticipantKeyPair } from '../../../control-plane/client/open-key.js'
import { SignalClient } from '../../../control-plane/client/signal-client.js'
import { buildApp, type ControlPlaneApp } from '../../../control-plane/app.js'
import { signalUrl } from '../../../control-plane/plugins/signaling.js'
import { CLOSE_CODES } from '../../../control-plane/protocol/error-codes.js'
import { openRegionState, type RegionState } from '../../../state/region-state.js'
import { next, socketFrom } from '../signaling/support.js'
import { bearer, dropPrefix, network, REDIS_URL, startRegion } from './fixture.js'

const net = network()
const acme = net.config.tenantById('acme')!
const eu = await startRegion(net, 'eu-central')
const us = await startRegion(net, 'us-east')
const DE = socketFrom('127.1.0.15')

interface Listening { readonly app: ControlPlaneApp; readonly state: RegionState; readonly url: string }
const listening: Listening[] = []
const clients: SignalClient[] = []
async function listen(options: { keks?: () => [] } = {}): Promise<Listening> {
  const state = openRegionState({ region: 'eu-central', redis: { url: REDIS_URL }, prefix: net.prefix })
  await state.ready()
  const app = await buildApp({ region: 'eu-central', nodeId: `eu-cp-${listening.length + 2}`, config: () => net.config, state, defaultMetrics: false, ...options })
  const l = { app, state, url: signalUrl(await app.listen({ host: '127.0.0.1', port: 0 })) }
  listening.push(l)
  return l
}
t.teardown(async () => {
  await Promise.all(clients.map((c) => c.close()))
  for (const l of listening) {
    await l.app.close()
    await l.state.close()
  }
  await dropPrefix(eu.state, net.prefix)
  await Promise.all([eu.close(), us.close()])
})

const create = (app: ControlPlaneApp, body: object) => app.inject({ method: 'POST', url: '/v1/meetings', headers: bearer(net.keys.acme), payload: body })

t.test('a managed-mode meeting is refused with 422 SR_KEY_MODE_UNAVAILABLE in a region without a KEK', async (t) => {
  const refused = await create(us.app, { region: 'us-east', keyMode: 'managed' })
  t.equal(refused.statusCode, 422, refused.body)
  t.equal(refused.json().code, 'SR_KEY_MODE_UNAVAILABLE')
  const e2ee = await create(us.app, { region: 'us-east', keyMode: 'e2ee' })
  t.equal(e2ee.statusCode, 201, 'e2ee needs no KEK')
  const patch = await us.app.inject({ method: 'PATCH', url: `/v1/meetings/${e2ee.json().id}`, headers: bearer(net.keys.acme), payload: { keyMode: 'managed' } })
  t.equal(patch.statusCode, 422, 'switching to managed is refused too')
  t.equal(patch.json().code, 'SR_KEY_MODE_UNAVAILABLE')
  const managed = await create(eu.app, { region: 'eu-central', keyMode: 'managed' })
  t.equal(managed.statusCode, 201, 'the region with a KEK in its config creates it')
})

t.test('the KEK of the config seals the key a real participant gets in its welcome', async (t) => {
  const node = await listen()
  const meeting = await eu.app.sovereign.meetings.create(acme, { keyMode: 'managed', passcodeRequired: false, waitingRoom: false })
  const token = (await eu.app.sovereign.meetings.mintToken(meeting.id, acme, { identity: 'host', role: 'host', displayName: 'host' })).token
  const host = SignalClient.connect(node.url, { WebSocket: DE, token, keyPair: await generateParticipantKeyPair() })
  clients.push(host)
  const key = next(host, 'media-key', () => true, 10_000)
  t.equal((await host.joined).kind, 'welcome')
  t.equal((await key)[0].version, 1, 'the participant opens key version 1')
  const stored = (await node.state.meetings.get(meeting.id))?.data?.['mediaKey'] as { kekId?: string } | undefined
  t.equal(stored?.kekId, 'eu-kek-1', 'sealed at rest under the KEK the config names')
})

t.test('without a KEK a managed meeting refuses its participant with SR_KEY_UNAVAILABLE and close 4018, and the participant does not stay', async (t) => {
  const node = await listen({ keks: () => [] })
  const meeting = await eu.app.sovereign.meetings.create(acme, { keyMode: 'managed', passcodeRequired: false, waitingRoom: false })
  const token = (await eu.app.sovereign.meetings.mintToken(meeting.id, acme, { identity: 'host', role: 'host', displayName: 'host' })).token
  const left = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no participant-left within 10 s')), 10_000)
    node.app.sovereign.meetings.on('participant-left', (event) => {
      if (event.meetingId === meeting.id) { clearTimeout(timer); resolve(event.participantId) }
    })
  })
  const host = SignalClient.connect(node.url, { WebSocket: DE, token, keyPair: await generateParticipantKeyPair() })
  clients.push(host)
  const error = next(host, 'error', () => true, 10_000)
  const closed = next(host, 'close', () => true, 10_000)
  t.equal((await error)[0].code, 'SR_KEY_UNAVAILABLE')
  t.equal((await closed)[0].code, CLOSE_CODES.keyUnavailable, 'close 4018, not 4500')
  await left
  const status = (await node.state.meetings.listParticipants(meeting.id)).find((p) => p.identity === 'host')?.status
  t.not(status, 'admitted', 'it left the meeting: its endpoint does not stay')
})
