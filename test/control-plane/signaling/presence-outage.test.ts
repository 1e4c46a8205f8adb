/**
 * Presence leases across a Redis outage longer than the lease (issue 9, item 13): every
 * lease of the region looks run out when Redis comes back, but the nodes are alive and
 * their sockets open. The node that reconnects first must not make the participants of
 * the node that reconnects later leave. A redis-server of the test's own (append-only
 * file, so it comes back with its data), stopped and started again.
 */
import t from 'tap'

import { SignalClient } from '../../../control-plane/client/signal-client.js'
import { participantIdFor } from '../../../control-plane/services/participant-id.js'
import { startRedisServer } from '../../state/support/redis-servers.js'
import { network } from '../app/fixture.js'
import { bounded, socketFrom, startNode, type Node } from './support.js'

const LEASE_MS = 1_000
const RENEW_MS = 100
const net = network()
const acme = net.config.tenantById('acme')!
const DE = socketFrom('127.1.0.61')

t.test('after an outage longer than the lease, a node that reconnects first lets the other renew before it settles anything', async (t) => {
  const server = await startRedisServer(['--appendonly', 'yes', '--appendfsync', 'always'])
  const nodes: Node[] = []
  const clients: SignalClient[] = []
  t.teardown(async () => {
    await Promise.all(clients.map((c) => c.close()))
    for (const n of nodes) await n.close()
    await server.stop()
  })
  const presence = { leaseMs: LEASE_MS, renewMs: RENEW_MS }
  // The first node retries every 50 ms; the second only every 600 ms, so it is surely back later.
  const fast = await startNode(net, 'eu-central', 'eu-cp-fast', { presence }, { url: server.url, connection: { retryBaseMs: 50, retryMaxMs: 50 } })
  nodes.push(fast)
  const slow = await startNode(net, 'eu-central', 'eu-cp-slow', { presence }, { url: server.url, connection: { retryBaseMs: 600, retryMaxMs: 600 } })
  nodes.push(slow)
  const meeting = await fast.app.sovereign.meetings.create(acme, { passcodeRequired: false, waitingRoom: false })
  const mint = async (identity: string, role: 'host' | 'attendee') => (await fast.app.sovereign.meetings.mintToken(meeting.id, acme, { identity, role })).token
  const host = SignalClient.connect(fast.url, { WebSocket: DE, token: await mint('hana', 'host') })
  clients.push(host)
  t.equal((await bounded(host.joined, 'host joined')).kind, 'welcome')
  // After the host's welcome: an attendee arriving first would wait for the host.
  const ann = SignalClient.connect(slow.url, { WebSocket: DE, token: await mint('ann', 'attendee') })
  clients.push(ann)
  t.equal((await bounded(ann.joined, 'ann joined')).kind, 'welcome')
  const left: string[] = []
  host.on('participant-left', (id) => left.push(id))
  ann.on('participant-left', (id) => left.push(id))

  await server.down()
  await Promise.all([fast.state.health.when('reconnecting'), slow.state.health.when('reconnecting')])
  // Nothing to await but time itself: the outage must outlast the lease.
  await new Promise((r) => setTimeout(r, LEASE_MS + 300))
  await server.up()
  await Promise.all([fast.state.health.when('connected'), slow.state.health.when('connected')])
  // Both back: wait out more than a lease of rounds on both, then look.
  await new Promise((r) => setTimeout(r, 2 * LEASE_MS))
  const annId = participantIdFor(meeting.id, 'ann')
  const hostId = participantIdFor(meeting.id, 'hana')
  t.equal((await fast.state.meetings.getParticipant(meeting.id, annId))?.status, 'admitted', "the slower node's participant is still admitted")
  t.equal((await fast.state.meetings.getParticipant(meeting.id, hostId))?.status, 'admitted', "and the faster node's")
  await host.ping()
  await ann.ping()
  t.same(left, [], 'nobody was told anyone left')
})
