/**
 * A participant at the allocation quota over real loopback sockets (relay/server/
 * handle-allocate.ts, `evictIdleAfterSeconds`): the allocation that relayed nothing makes
 * room, the one carrying data is kept and keeps relaying. Activity is what the data path
 * counted (the native engine's counters, collected at each flush). Runs on the default data
 * path; idle-eviction-ts-path.test.ts runs it on the TypeScript one.
 */
import t from 'tap'

import { mintTurnCredential } from '../../../relay/auth/index.js'
import { startRelayNode } from '../../../relay/relay-node.js'
import { newMeetingId, newParticipantId } from '../../../state/meeting-id.js'
import { TurnClient, echoPeer } from '../../support/turn-client.js'

const SECRET = 'idle-eviction-secret-0123456789'

t.test('at the participant quota, a new Allocate replaces the idle allocation and the one relaying keeps relaying', async (t) => {
  const node = await startRelayNode({
    listen: ['127.0.0.1:0'],
    secrets: [SECRET],
    allowPeers: ['127.0.0.0/8'],
    quotas: { allocationsPerParticipant: 2, evictIdleAfterSeconds: 2 },
  })
  t.teardown(() => node.close())
  const peer = await echoPeer()
  t.teardown(() => peer.close())
  const deleted: string[] = []
  node.server.events.on('allocation-deleted', (_i, cause) => deleted.push(cause))
  const cred = mintTurnCredential({ secret: SECRET, meetingId: newMeetingId('test'), participantId: newParticipantId(), ttlSeconds: 600, now: Date.now })
  const udp = node.addresses.find((a) => a.transport === 'udp')!
  const open = async (): Promise<TurnClient> => {
    const c = await TurnClient.connect({ transport: 'udp', host: udp.host, port: udp.port, username: cred.username, password: cred.password })
    t.teardown(() => c.close())
    return c
  }
  const active = await open()
  await active.allocate()
  await active.channelBind(0x4001, peer.address)
  const idle = await open()
  await idle.allocate()
  const echo = async (n: number): Promise<void> => {
    active.sendChannelData(0x4001, Buffer.from(`rtp ${n}`))
    await active.nextData((r) => r.data.toString() === `rtp ${n}`)
  }

  // Both are younger than two seconds: the quota holds.
  const third = await open()
  await t.rejects(third.allocate(), { name: 'Error', code: 486 }, 'a third allocation is refused (486) while none is idle')
  // For 2.3 s one relays (echoed through the peer), the other nothing; the flushes record it.
  for (let n = 0; n < 23; n++) {
    await echo(n)
    await new Promise((resolve) => setTimeout(resolve, 100))
    if (n % 4 === 3) node.server.flush()
  }
  node.server.flush()
  const fourth = await open()
  await fourth.allocate()
  t.pass('a new allocation at the quota is granted')
  t.same(deleted, ['evicted-idle'], 'one allocation made room for it')
  t.equal(node.server.table.size, 2, 'the participant is still at the quota, not over it')
  t.equal(node.sockets.stats.relaySockets, 2, 'the idle one\'s relayed socket is closed')
  await t.rejects(idle.refresh(600), { name: 'Error', code: 437 }, 'the idle one is gone: its Refresh is 437')
  await echo(100)
  t.pass('the one that relayed still relays')
})
