import t from 'tap'

import { bearer, dropPrefix, network, startRegion } from './fixture.js'

const net = network()
const eu = await startRegion(net, 'eu-central')
t.teardown(async () => {
  await dropPrefix(eu.state, net.prefix)
  await eu.close()
})

t.test('operators see the live relays of the region; tenants may not', async (t) => {
  await eu.state.fleet.heartbeat({
    id: 'eu-central-7', region: 'eu-central', udp: ['127.1.0.7:3478'], tcp: [], capacity: 50, version: '0.1.0', startedAt: Date.now(),
    load: { allocations: 3, packetsPerSecond: 0, bytesPerSecond: 0, cpu: 0.25 }, draining: false, sentAt: Date.now(),
  }, 60_000)
  const res = await eu.app.inject({ method: 'GET', url: '/v1/admin/fleet', headers: bearer(net.keys.admin) })
  t.equal(res.statusCode, 200, res.body)
  const regions = res.json().regions as Array<{ region: string; available: boolean; relays: Array<{ id: string; allocations: number; cpu: number }> }>
  t.same(regions.map((r) => r.region), ['eu-central', 'eu-north', 'us-east'], 'every region of the config is listed')
  const here = regions.find((r) => r.region === 'eu-central')!
  t.same(here.relays.map((r) => [r.id, r.allocations, r.cpu]), [['eu-central-7', 3, 0.25]])
  t.same(regions.find((r) => r.region === 'us-east')!.relays, [], 'another region without a fleet source shows none')

  const tenant = await eu.app.inject({ method: 'GET', url: '/v1/admin/fleet', headers: bearer(net.keys.acme) })
  t.equal(tenant.statusCode, 403)
  const anonymous = await eu.app.inject({ method: 'GET', url: '/v1/admin/fleet' })
  t.equal(anonymous.statusCode, 401)
})
