import t from 'tap'

import { verifyReport } from '../../../control-plane/report/report-signature.js'
import { GeoLocator } from '../../../geo/lookup.js'
import { bearer, dropPrefix, network, startRegion } from './fixture.js'

const net = network()
const geo = new GeoLocator({ database: null, overrides: [{ cidr: '127.1.0.0/16', country: 'DE' }, { cidr: '127.5.0.0/16', country: 'CN' }] })
const eu = await startRegion(net, 'eu-central', { geo })
t.teardown(async () => {
  await dropPrefix(eu.state, net.prefix)
  await eu.close()
})
const { app } = eu

await eu.state.fleet.heartbeat({
  id: 'eu-central-1', region: 'eu-central', udp: ['127.1.0.1:3478'], tcp: ['127.1.0.1:3478'], capacity: 100, version: 'test', startedAt: Date.now(),
  load: { allocations: 0, packetsPerSecond: 0, bytesPerSecond: 0, cpu: 0 }, draining: false, sentAt: Date.now(),
}, 60_000)

async function meetingWithHistory() {
  const m = (await app.inject({ method: 'POST', url: '/v1/meetings', headers: bearer(net.keys.acme), payload: { joinBeforeHost: true, attendeePolicy: { mode: 'block', countries: ['CN'] } } })).json()
  const mint = async (identity: string) => (await app.inject({ method: 'POST', url: `/v1/meetings/${m.id}/tokens`, headers: bearer(net.keys.acme), payload: { identity, role: 'attendee' } })).json().token as string
  const admitted = await app.sovereign.meetings.join({ token: await mint('dana'), passcode: m.passcode, address: '127.1.0.20' })
  const refused = await app.sovereign.meetings.join({ token: await mint('li'), passcode: m.passcode, address: '127.5.0.20' })
  return { m, admitted, refused }
}

t.test('an admitted participant gets the region relay with meeting-scoped credentials and a blocked country is refused', async (t) => {
  const { m, admitted, refused } = await meetingWithHistory()
  t.equal(admitted.outcome, 'admitted')
  if (admitted.outcome !== 'admitted') return
  t.equal(admitted.iceServers.length, 1)
  t.same(admitted.iceServers[0]!.urls, ['turn:127.1.0.1:3478?transport=udp', 'turn:127.1.0.1:3478?transport=tcp'])
  t.match(admitted.iceServers[0]!.username, new RegExp(`^\\d+:${m.id.replace('.', '\\.')}:${admitted.participant.id}$`))
  t.equal(refused.outcome, 'denied')
  t.equal(refused.outcome === 'denied' && refused.code, 'SR_COUNTRY_FORBIDDEN')
  t.equal(refused.outcome === 'denied' && refused.verdict?.reason, 'country_blocked')
})

t.test('the residency report verifies against the region key published at /v1/regions/:id/report-key and a tampered copy does not', async (t) => {
  const { m, admitted } = await meetingWithHistory()
  const res = await app.inject({ method: 'GET', url: `/v1/meetings/${m.id}/residency-report`, headers: bearer(net.keys.acme) })
  t.equal(res.statusCode, 200, res.body)
  const key = await app.inject({ method: 'GET', url: '/v1/regions/eu-central/report-key' })
  t.equal(key.statusCode, 200)
  t.equal(key.json().ephemeral, false)
  t.equal(key.json().publicKeyPem.trim(), net.reportKey.publicKeyPem.trim(), 'the configured key')
  t.equal(key.json().keyId, net.reportKey.keyId)

  const verified = verifyReport(res.body, key.json().publicKeyPem)
  t.equal(verified.ok, true, JSON.stringify(verified))
  if (!verified.ok) return
  const report = verified.report
  t.equal(report.meeting.id, m.id)
  t.equal(report.meeting.homeRegion, 'eu-central')
  t.same(report.meeting.allowedRegions, ['eu-central'])
  t.same(report.signaling.regions, ['eu-central'])
  t.same(report.media.issued.map((i) => i.relay), ['eu-central-1'])
  t.ok(report.participants.byCountry.some((c) => c.country === 'DE'), 'the admitted participant is counted under DE')
  t.ok(report.refusals.byReason.some((r) => r.reason === 'country_blocked'), 'the refused join is listed with its reason')
  t.equal(report.summary.compliant, true)
  t.notMatch(res.body, /127\.1\.0\.20/, 'addresses never enter the report')
  t.ok(admitted.outcome === 'admitted')

  const tampered = JSON.parse(res.body)
  tampered.report.meeting.allowedRegions = ['eu-central', 'us-east']
  const refused = verifyReport(JSON.stringify(tampered), key.json().publicKeyPem)
  t.equal(refused.ok, false)
  t.equal(!refused.ok && refused.code, 'bad_signature')
})

t.test('a region without a configured report key signs with an ephemeral key and says so', async (t) => {
  const bare = network({ euReportKey: false })
  const warnings: string[] = []
  const region = await startRegion(bare, 'eu-central')
  t.teardown(async () => {
    await dropPrefix(region.state, bare.prefix)
    await region.close()
  })
  region.app.log.warn = ((message: string) => warnings.push(String(message))) as typeof region.app.log.warn
  const m = (await region.app.inject({ method: 'POST', url: '/v1/meetings', headers: bearer(bare.keys.acme), payload: {} })).json()
  const res = await region.app.inject({ method: 'GET', url: `/v1/meetings/${m.id}/residency-report`, headers: bearer(bare.keys.acme) })
  const key = (await region.app.inject({ method: 'GET', url: '/v1/regions/eu-central/report-key' })).json()
  t.equal(key.ephemeral, true)
  t.match(warnings, [/no reportKey in the config: residency reports are signed with an ephemeral key/], 'the operator is warned once')
  t.equal(verifyReport(res.body, key.publicKeyPem).ok, true)
  t.equal(verifyReport(res.body, net.reportKey.publicKeyPem).ok, false, 'not the other network\'s key')
  const otherRegion = await region.app.inject({ method: 'GET', url: '/v1/regions/us-east/report-key' })
  t.equal(otherRegion.statusCode, 307, 'another region\'s ephemeral key is asked of that region')
})
