/**
 * The demo against a real local network started here (three regions on loopback, Redis
 * under a fresh prefix when it answers, else the in-process store): real HTTP, WebSocket
 * signaling, node-datachannel peers and TURN relays. Each outcome the demo narrates is
 * checked again from outside the demo — the meeting's participant list, the signed
 * residency report, the relays' own /metrics — so a demo that merely claimed success
 * would fail here.
 */
import { createServer, type AddressInfo } from 'node:net'

import t from 'tap'

import { runDemo, releaseNativePeers, type DemoSession } from '../../../deploy/demo/run-demo.js'
import { startLocalNetwork, type LocalNetwork } from '../../../deploy/local/local-network.js'

// Published, local-only key documented in deploy/examples/local-network.yaml.
const DEMO_KEY = 'sk_test_demo_tenant_local_network_only_not_secret00'

let network: LocalNetwork
let eu: LocalNetwork['regions'][number]

t.before(async () => {
  network = await startLocalNetwork({ ephemeralPorts: true, prefix: `tdemo${process.pid}${Date.now().toString(36)}`, controlPlaneLogLevel: 'error' })
  eu = network.regions.find((r) => r.id === 'eu-central')!
})

t.teardown(async () => {
  await network?.close()
  releaseNativePeers()
})

async function get(url: string): Promise<any> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${DEMO_KEY}` } })
  if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}`)
  return res.json()
}

/** Sum of a relay counter over eu-central's relays, read from their /metrics. */
async function euRelayCounter(name: string, ...labels: string[]): Promise<number> {
  let sum = 0
  for (const relay of eu.relays) {
    const text = await (await fetch(`${relay.metricsUrl}/metrics`)).text()
    for (const line of text.split('\n')) {
      const m = new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`).exec(line)
      if (m && labels.every((l) => (m[1] ?? '').includes(l))) sum += Number(m[2])
    }
  }
  return sum
}

async function eventually(what: string, check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

t.test('the demo admits, refuses by country, relays data relay-to-relay, refuses a foreign peer, and the report shows it', async (t) => {
  const denied = (method: string, reason: string) => euRelayCounter('sovereign_relay_permission_denied_total', `method="${method}"`, `reason="${reason}"`)
  const bytesBefore = await euRelayCounter('sovereign_relay_relayed_bytes_total')
  const peersDeniedBefore = await denied('create-permission', 'peer_not_in_meeting')
  const allocationsDeniedBefore = await denied('allocate', 'country_blocked')
  const narrated: string[] = []
  const session: DemoSession = await runDemo({ url: eu.controlPlaneUrl, apiKey: DEMO_KEY, timeoutMs: 8000, onStep: (s) => narrated.push(s.id) })
  t.teardown(() => session.close())
  const { result } = session
  const failed = result.steps.filter((s) => !s.ok).map((s) => `${s.id}: ${s.observed}`)
  t.same(failed, [], 'no step failed')
  t.equal(result.ok, true, 'the demo says every expected outcome happened')
  t.same(narrated, ['meeting', 'join:hanna', 'join:camille', 'join:oliver', 'refuse:wei', 'link:camille', 'link:oliver', 'foreign-peer', 'leaked-credential', 'report'], 'each step is narrated as it finishes, in order')

  const meetingId = result.meeting!.id
  t.match(meetingId, /^eu-central\./, 'the meeting is homed in eu-central')
  const meeting = await get(`${eu.controlPlaneUrl}/v1/meetings/${meetingId}`)
  t.equal(meeting.residencyMode, 'jurisdiction')
  t.same(meeting.attendeePolicy.countries, ['CN'], 'its attendee policy blocks CN')
  t.equal(meeting.status, 'active', 'and it is left running')

  // Admitted: the control plane's own participant list, with the countries it placed them in.
  const { participants } = await get(`${eu.controlPlaneUrl}/v1/meetings/${meetingId}/participants`)
  const admitted = (participants as { identity: string; status: string; country?: string }[])
    .filter((p) => p.status === 'admitted').map((p) => `${p.identity}:${p.country}`).sort()
  t.same(admitted, ['camille:FR', 'hanna:DE', 'oliver:GB'], 'the host and the two allowed attendees are admitted, from DE, FR and GB')
  t.equal(session.connected.length, 3, 'and still connected for the dashboard')

  // Refused by country, at join.
  const refused = result.steps.find((s) => s.id === 'refuse:wei')!
  t.ok(refused.codes.includes('SR_COUNTRY_FORBIDDEN'), 'the CN attendee is denied with SR_COUNTRY_FORBIDDEN')

  // Relay/relay data exchange: the selected pairs, and the relays' own byte counters.
  for (const id of ['link:camille', 'link:oliver']) {
    const link = result.steps.find((s) => s.id === id)!
    t.equal(link.details.filter((d) => / selected relay 127\.1\.0\.[12]:\d+ ⇄ relay 127\.1\.0\.[12]:\d+$/.test(d)).length, 2, `${id}: both sides selected a relay/relay pair on eu-central relays`)
  }
  await eventually('the eu-central relays count relayed bytes', async () => (await euRelayCounter('sovereign_relay_relayed_bytes_total')) > bytesBefore)
  t.pass('the eu-central relays relayed the data-channel bytes')

  // The foreign peer and the leaked credential: 403s at the relay, counted by the relay itself.
  t.ok(result.steps.find((s) => s.id === 'foreign-peer')!.codes.includes('STUN 403'), 'the foreign peer permission is answered 403')
  t.equal(await denied('create-permission', 'peer_not_in_meeting') - peersDeniedBefore, 1, 'a relay counted one permission refused as peer_not_in_meeting')
  t.ok(result.steps.find((s) => s.id === 'leaked-credential')!.codes.includes('STUN 403'), 'the credential used from CN is answered 403')
  t.equal(await denied('allocate', 'country_blocked') - allocationsDeniedBefore, 1, 'a relay counted one allocation refused as country_blocked')

  // The audit, read straight from the signed report.
  const { report } = await get(`${eu.controlPlaneUrl}/v1/meetings/${meetingId}/residency-report`)
  const refusals = (report.refusals.entries as { kind: string; reason: string; countries?: string[] }[]).map((r) => `${r.kind}:${r.reason}:${(r.countries ?? []).join(',')}`).sort()
  t.same(refusals, ['admission:country_blocked:CN', 'allocation:country_blocked:CN', 'peer:peer_not_in_meeting:CN'], 'the audit holds the three refusals with their reasons')
  t.equal(report.summary.compliant, true, 'the report finds no violation')
  t.same(report.media.regions, ['eu-central'], 'media stayed in eu-central')
  t.same(result.report?.refusalsByReason, report.refusals.byReason, 'the demo\'s summary is the report\'s')
})

t.test('with end: true the demo ends the meeting and every participant is told', async (t) => {
  const session = await runDemo({ url: eu.controlPlaneUrl, apiKey: DEMO_KEY, timeoutMs: 8000, end: true })
  t.teardown(() => session.close())
  t.equal(session.result.ok, true, session.result.steps.filter((s) => !s.ok).map((s) => `${s.id}: ${s.observed}`).join('; ') || 'every step ok')
  t.equal(session.result.steps.at(-1)?.id, 'end', 'ending is the last step')
  t.equal(session.result.ended, true)
  const meeting = await get(`${eu.controlPlaneUrl}/v1/meetings/${session.result.meeting!.id}`)
  t.equal(meeting.status, 'ended', 'the control plane says the meeting has ended')
  t.same(session.connected, [], 'nobody is left connected')
})

t.test('with nothing listening the demo fails at once with ERR_DEMO_NO_NETWORK and says how to start one', async (t) => {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  await t.rejects(runDemo({ url: `http://127.0.0.1:${port}`, apiKey: DEMO_KEY }), { code: 'ERR_DEMO_NO_NETWORK', message: /start the network first: npm start/ })
})
