/**
 * Data pipelined behind a permission decision (issue 12, relay/server/held-data.ts), over
 * real loopback sockets: a CreatePermission or ChannelBind whose residency decision is
 * slow, and a Send indication or ChannelData sent right behind it (as libjuice sends its
 * first connectivity check). The data waits for the answer: it reaches the peer once the
 * policy grants the permission, and never when it refuses — then it is counted dropped.
 * Runs on the default data path; held-data-ts-path.test.ts runs it on the TypeScript one.
 */
import dgram from 'node:dgram'

import t, { type Test } from 'tap'

import { allow, deny, type Verdict } from '../../../geo/verdict.js'
import { mintTurnCredential } from '../../../relay/auth/index.js'
import { openPolicy, type RelayPolicy } from '../../../relay/policy.js'
import { startRelayNode, type RelayNode } from '../../../relay/relay-node.js'
import type { DropReason, TransportAddress } from '../../../relay/server/index.js'
import { newMeetingId, newParticipantId } from '../../../state/meeting-id.js'
import { request } from '../../support/stun-builder.js'
import { TurnClient } from '../../support/turn-client.js'

const SECRET = 'held-data-secret-0123456789'

/** A peer policy that answers only when the test says so. */
function slowPolicy(): { policy: RelayPolicy; asked(): number; answer(v: Verdict): void } {
  const waiting: ((v: Verdict) => void)[] = []
  let asked = 0
  const policy: RelayPolicy = {
    ...openPolicy,
    peer: () => {
      asked++
      return new Promise<Verdict>((resolve) => waiting.push(resolve))
    },
  }
  return { policy, asked: () => asked, answer: (v) => { for (const resolve of waiting.splice(0)) resolve(v) } }
}

async function setup(t: Test) {
  const slow = slowPolicy()
  const node: RelayNode = await startRelayNode({ listen: ['127.0.0.1:0'], secrets: [SECRET], policy: slow.policy, allowPeers: ['127.0.0.0/8'] })
  t.teardown(() => node.close())
  const drops = new Map<DropReason, number>()
  node.server.events.on('dropped', (reason, n) => drops.set(reason, (drops.get(reason) ?? 0) + n))
  const cred = mintTurnCredential({ secret: SECRET, meetingId: newMeetingId('test'), participantId: newParticipantId(), ttlSeconds: 600, now: Date.now })
  const udp = node.addresses.find((a) => a.transport === 'udp')!
  const c = await TurnClient.connect({ transport: 'udp', host: udp.host, port: udp.port, username: cred.username, password: cred.password })
  t.teardown(() => c.close())
  await c.allocate()
  const peer = await listeningPeer(t)
  /** Resolves once everything the client sent before was read by the relay (a STUN round trip behind it), and the decision was asked. */
  const decisionPending = async (): Promise<void> => {
    await c.client.exchange(request(0x0001))
    for (let i = 0; i < 100 && slow.asked() === 0; i++) await new Promise((r) => setTimeout(r, 10))
  }
  return { node, c, peer, slow, drops, decisionPending }
}

async function listeningPeer(t: Test): Promise<{ address: TransportAddress; received: string[]; fence(): Promise<void> }> {
  const s = dgram.createSocket('udp4')
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.2', () => resolve()))
  t.teardown(() => new Promise<void>((resolve) => s.close(() => resolve())))
  const received: string[] = []
  let fenced: (() => void) | undefined
  s.on('message', (m) => (m.toString() === 'fence' ? fenced?.() : received.push(m.toString())))
  const address: TransportAddress = { family: 4, address: '127.0.0.2', port: s.address().port }
  // The socket's queue is FIFO: once a datagram sent after the relay's is read, the relay's was.
  const fence = (): Promise<void> => new Promise((resolve) => {
    fenced = resolve
    const f = dgram.createSocket('udp4')
    f.send(Buffer.from('fence'), address.port, address.address, () => f.close())
  })
  return { address, received, fence }
}

t.test('a Send indication right behind a slow CreatePermission reaches the peer once the permission is granted', async (t) => {
  const { c, peer, slow, drops, node, decisionPending } = await setup(t)
  const permitted = c.createPermission(peer.address)
  c.sendIndication(peer.address, Buffer.from('check 1'))
  c.sendIndication(peer.address, Buffer.from('check 2'))
  await decisionPending()
  t.equal(slow.asked(), 1, 'the decision is in progress')
  await peer.fence()
  t.same(peer.received, [], 'nothing reaches the peer before the policy said yes')
  slow.answer(allow('peer_is_relay_of_meeting'))
  await permitted
  await c.client.exchange(request(0x0001))
  await peer.fence()
  t.same(peer.received, ['check 1', 'check 2'], 'then the held data, in order')
  node.server.flush()
  t.equal(drops.get('no-permission'), undefined, 'nothing was dropped')
})

t.test('a Send indication right behind a slow CreatePermission that is refused never reaches the peer, and is counted', async (t) => {
  const { c, peer, slow, drops, node, decisionPending } = await setup(t)
  const permitted = c.createPermission(peer.address)
  c.sendIndication(peer.address, Buffer.from('check 1'))
  await decisionPending()
  slow.answer(deny('peer_not_in_meeting'))
  await t.rejects(permitted, /403/)
  await c.client.exchange(request(0x0001))
  await peer.fence()
  t.same(peer.received, [], 'refused: dropped')
  node.server.flush()
  t.equal(drops.get('no-permission'), 1, 'counted as a packet without permission')
})

t.test('ChannelData right behind a slow ChannelBind reaches the peer once it is granted, and not when refused', async (t) => {
  const { c, peer, slow, drops, node, decisionPending } = await setup(t)
  const bound = c.channelBind(0x4001, peer.address)
  c.sendChannelData(0x4001, Buffer.from('on channel'))
  await decisionPending()
  await peer.fence()
  t.same(peer.received, [], 'held while the ChannelBind is decided')
  slow.answer(allow('peer_is_relay_of_meeting'))
  await bound
  await c.client.exchange(request(0x0001))
  await peer.fence()
  t.same(peer.received, ['on channel'])

  const other = await listeningPeer(t)
  const refused = c.channelBind(0x4002, other.address)
  c.sendChannelData(0x4002, Buffer.from('refused channel'))
  for (let i = 0; i < 100 && slow.asked() < 2; i++) await new Promise((r) => setTimeout(r, 10))
  slow.answer(deny('peer_not_in_meeting'))
  await t.rejects(refused, /403/)
  await c.client.exchange(request(0x0001))
  await other.fence()
  t.same(other.received, [], 'refused: dropped')
  node.server.flush()
  t.equal(drops.get('no-channel'), 1, 'counted as ChannelData on an unbound channel')
})

t.test('data is held only while a decision for its peer is in progress: without one it is dropped at once', async (t) => {
  const { c, peer, drops, node } = await setup(t)
  c.sendIndication(peer.address, Buffer.from('no permission asked'))
  await c.client.exchange(request(0x0001))
  node.server.flush()
  t.equal(drops.get('no-permission'), 1)
  t.equal(node.server.table.byTuple([...node.server.table.values()][0]!.tupleKey)?.decisions, undefined, 'nothing kept for the allocation')
})
