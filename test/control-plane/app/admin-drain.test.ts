/**
 * An operator drains a relay through the control plane's admin API: relay selection
 * skips it at once (new participants get only the other relay), the relay refuses new
 * allocations after its next beat while an existing allocation keeps working, and
 * cancelling the drain brings it back. Two real in-process relays on loopback, the
 * region's real Redis under a unique prefix.
 */
import t from 'tap'

import { GeoLocator } from '../../../geo/lookup.js'
import { startRegionRelay, type RegionRelay } from '../../../relay/region/region-relay.js'
import { TurnClient, TurnError } from '../../support/turn-client.js'
import { bearer, dropPrefix, network, startRegion } from './fixture.js'

const net = network()
const geo = new GeoLocator({ database: null, overrides: [{ cidr: '127.1.0.0/16', country: 'DE' }] })
const eu = await startRegion(net, 'eu-central', { geo })
const { app } = eu
// The test beats by hand (beatNow); the long TTL keeps a slow machine from expiring the relay meanwhile.
const relay = (id: string, host: string) => startRegionRelay({ config: net.config, region: 'eu-central', id, listen: [`${host}:0`], metrics: null, statePrefix: net.prefix, heartbeatMs: 60_000, heartbeatTtlMs: 600_000 })
const r1: RegionRelay = await relay('eu-central-1', '127.1.0.1')
const r2: RegionRelay = await relay('eu-central-2', '127.1.0.2')
const clients: TurnClient[] = []
t.teardown(async () => {
  for (const c of clients) await c.close()
  await r1.close()
  await r2.close()
  await dropPrefix(eu.state, net.prefix)
  await eu.close()
})

const admin = bearer(net.keys.admin)
const drainUrl = (relayId: string, region = 'eu-central') => `/v1/admin/regions/${region}/relays/${relayId}/drain`
const m = (await app.inject({ method: 'POST', url: '/v1/meetings', headers: bearer(net.keys.acme), payload: { joinBeforeHost: true } })).json() as { id: string; passcode?: string }

async function join(identity: string) {
  const token = (await app.inject({ method: 'POST', url: `/v1/meetings/${m.id}/tokens`, headers: bearer(net.keys.acme), payload: { identity, role: 'attendee' } })).json().token as string
  const joined = await app.sovereign.meetings.join({ token, passcode: m.passcode, address: '127.1.0.20' })
  if (joined.outcome !== 'admitted') throw new Error(`${identity} not admitted: ${joined.outcome}`)
  return joined
}

/** The relay ids behind a participant's ICE servers, by the port each relay listens on. */
function relaysOf(iceServers: ReadonlyArray<{ urls: readonly string[] }>): string[] {
  const byAddress = new Map([r1, r2].map((r, i) => [`127.1.0.${i + 1}:${r.node.addresses[0]!.port}`, `eu-central-${i + 1}`]))
  return iceServers.map((s) => byAddress.get(/^turn:([^?]+)/.exec(s.urls[0]!)![1]!) ?? s.urls[0]!).sort()
}

async function allocateOn(r: RegionRelay, server: { username?: string | undefined; credential?: string | undefined }) {
  if (server.username === undefined || server.credential === undefined) throw new Error('an ICE server without TURN credentials')
  const port = r.node.addresses.find((a) => a.transport === 'udp')!.port
  const c = await TurnClient.connect({ transport: 'udp', host: r.node.addresses[0]!.host, port, username: server.username, password: server.credential, localAddress: '127.1.0.20' })
  clients.push(c)
  return c
}
const code = (p: Promise<unknown>): Promise<number> => p.then(() => 0, (e: unknown) => (e instanceof TurnError ? e.code : Promise.reject(e)))

t.test('a drained relay gets no new participants while its existing allocation keeps working; undrained, it gets them again', async (t) => {
  const alice = await join('alice')
  t.same(relaysOf(alice.iceServers), ['eu-central-1', 'eu-central-2'], 'before the drain both relays are handed out')
  const onR1 = alice.iceServers.find((s) => relaysOf([s])[0] === 'eu-central-1')!
  const existing = await allocateOn(r1, onR1)
  await existing.allocate()

  const res = await app.inject({ method: 'POST', url: drainUrl('eu-central-1'), headers: admin, payload: { reason: 'kernel upgrade' } })
  t.equal(res.statusCode, 200, res.body)
  t.match(res.json(), { region: 'eu-central', relayId: 'eu-central-1', live: true, draining: true, drainRequest: { by: 'admin:ops-1', reason: 'kernel upgrade' } })

  const bob = await join('bob')
  t.same(relaysOf(bob.iceServers), ['eu-central-2'], 'relay selection skips the drained relay at once, before it has even noticed')
  const fleet = (await app.inject({ method: 'GET', url: '/v1/admin/fleet', headers: admin })).json().regions[0].relays as Array<{ id: string; draining: boolean; drainRequest?: { by: string } }>
  t.same(fleet.map((r) => [r.id, r.draining, r.drainRequest?.by]), [['eu-central-1', true, 'admin:ops-1'], ['eu-central-2', false, undefined]], 'the fleet view shows who drained it')

  await r1.heartbeat.beatNow()
  t.equal(await code((await allocateOn(r1, onR1)).allocate()), 508, 'one beat later the relay itself refuses new allocations')
  t.ok((await existing.refresh(600)) > 0, 'the existing allocation keeps working')

  const again = await app.inject({ method: 'POST', url: drainUrl('eu-central-1'), headers: admin })
  t.equal(again.statusCode, 200, 'draining twice is harmless (no body needed)')
  t.equal(again.json().drainRequest.reason, 'kernel upgrade', 'and keeps the first request')

  const metrics = (await app.inject({ method: 'GET', url: '/metrics', headers: admin })).body
  t.match(metrics, /^sovereign_cp_relay_drain_requests_total\{action="drain"\} 2$/m)
  t.match(metrics, /^sovereign_cp_fleet_relays\{fleet_region="eu-central",state="draining"\} 1$/m)
  t.match(metrics, /^sovereign_cp_fleet_relays\{fleet_region="eu-central",state="live"\} 1$/m)
  t.match(metrics, /^sovereign_cp_fleet_capacity\{fleet_region="eu-central"\} 10000$/m, 'only the undrained relay counts as capacity')
  t.match(metrics, /^sovereign_cp_fleet_readable\{fleet_region="eu-central"\} 1$/m)
  t.match(metrics, /^sovereign_cp_relay_selection_duration_seconds_count\{outcome="relays"\} 2$/m, 'both selections were timed')
  t.match(metrics, /^sovereign_cp_fleet_read_duration_seconds_count\{fleet_region="eu-central",outcome="ok"\} [1-9]\d*$/m, 'and the fleet reads before them')

  const undrain = await app.inject({ method: 'DELETE', url: drainUrl('eu-central-1'), headers: admin })
  t.equal(undrain.statusCode, 200, undrain.body)
  t.match(undrain.json(), { relayId: 'eu-central-1', draining: false, cancelled: true })
  t.same(relaysOf((await join('carol')).iceServers), ['eu-central-1', 'eu-central-2'], 'undrained, it is handed out again')
  await r1.heartbeat.beatNow()
  t.equal(await code((await allocateOn(r1, onR1)).allocate()), 0, 'and allocates again')
  t.equal((await app.inject({ method: 'DELETE', url: drainUrl('eu-central-1'), headers: admin })).json().cancelled, false, 'cancelling twice is harmless')
})

t.test('draining an unknown relay is 404, an unknown region 422, and a relay of another region is redirected there', async (t) => {
  const unknown = await app.inject({ method: 'POST', url: drainUrl('eu-central-9'), headers: admin })
  t.equal(unknown.statusCode, 404)
  t.equal(unknown.json().code, 'SR_RELAY_NOT_FOUND')
  t.equal((await app.inject({ method: 'DELETE', url: drainUrl('eu-central-9'), headers: admin })).statusCode, 404)
  t.same(await eu.state.fleet.drainRequests(), [], 'nothing was written for it')
  const region = await app.inject({ method: 'POST', url: drainUrl('eu-central-1', 'mars-1'), headers: admin })
  t.equal(region.statusCode, 422)
  t.equal(region.json().code, 'SR_REGION_UNKNOWN')
  const other = await app.inject({ method: 'POST', url: drainUrl('us-east-1', 'us-east'), headers: admin })
  t.equal(other.statusCode, 307)
  t.equal(other.headers.location, `http://127.0.0.1:18081${drainUrl('us-east-1', 'us-east')}`, "to that region's control plane, never proxied")
  const bad = await app.inject({ method: 'POST', url: drainUrl('eu-central-1'), headers: admin, payload: { reason: 'x', extra: 1 } })
  t.equal(bad.statusCode, 422, 'the body is validated by its schema')
})

t.test('only operators may drain relays', async (t) => {
  t.equal((await app.inject({ method: 'POST', url: drainUrl('eu-central-1'), headers: bearer(net.keys.acme) })).statusCode, 403)
  t.equal((await app.inject({ method: 'DELETE', url: drainUrl('eu-central-1') })).statusCode, 401)
  t.same(await eu.state.fleet.drainRequests(), [])
})

t.test('the drain routes are in the OpenAPI document', async (t) => {
  const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, Record<string, unknown>> }
  const path = doc.paths['/v1/admin/regions/{region}/relays/{relayId}/drain']
  t.ok(path, 'listed')
  t.same(Object.keys(path ?? {}).sort(), ['delete', 'post'])
})
