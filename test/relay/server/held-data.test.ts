/**
 * Data held behind a permission decision (relay/server/held-data.ts), on the sans-IO
 * server with a hand-moved clock: the CreatePermission's own answer carries the held
 * data; what waits longer than MAX_HOLD_MS is handled by `tick` as if it had just
 * arrived (no permission: dropped); beyond MAX_HELD_PACKETS data is not held at all.
 * held-data.test.ts under test/relay/node covers the same over real sockets.
 */
import t from 'tap'

import { allow, type Verdict } from '../../../geo/verdict.js'
import { Attr, Method, encodeXorAddress } from '../../../relay/proto/index.js'
import { openPolicy, type RelayPolicy } from '../../../relay/policy.js'
import type { Action } from '../../../relay/server/index.js'
import { MAX_HELD_PACKETS, MAX_HOLD_MS } from '../../../relay/server/held-data.js'
import { harness, udpTuple } from '../../support/server-harness.js'
import { indication, peerAttr, request } from '../../support/stun-builder.js'

const TXN = Buffer.alloc(12, 3)
const PEER = '198.51.100.7'
const sendTo = (data: string): Buffer =>
  indication(Method.Send, [{ type: Attr.XorPeerAddress, value: encodeXorAddress({ family: 4, address: PEER, port: 5000 }, TXN) }, { type: Attr.Data, value: Buffer.from(data) }], TXN)

async function setup() {
  const waiting: ((v: Verdict) => void)[] = []
  const policy: RelayPolicy = { ...openPolicy, peer: () => new Promise<Verdict>((resolve) => waiting.push(resolve)) }
  const h = harness({ policy })
  const tuple = udpTuple()
  const cred = await h.login(tuple)
  await h.allocate(tuple, cred)
  const drops: string[] = []
  h.server.events.on('dropped', (reason, n) => drops.push(`${reason}:${n}`))
  const grant = async (): Promise<void> => {
    while (waiting.length === 0) await new Promise((r) => setImmediate(r))
    waiting.shift()!(allow('peer_is_relay_of_meeting'))
  }
  const createPermission = () => h.send(tuple, request(Method.CreatePermission, [peerAttr(PEER, 5000, TXN)], cred, TXN))
  return { h, tuple, drops, grant, createPermission }
}

const sent = (actions: Action[]): string[] => actions.flatMap((a) => (a.type === 'send-peer' ? [a.data.toString()] : []))

t.test('the CreatePermission\'s answer carries the data held behind it, after its success response', async (t) => {
  const { h, tuple, grant, createPermission } = await setup()
  const answer = createPermission()
  t.same(await h.send(tuple, sendTo('a')), [{ type: 'schedule', at: h.now() + MAX_HOLD_MS }], 'held: nothing sent, a tick asked for at the hold\'s end')
  await grant()
  const actions = await answer
  t.same(actions.map((a) => a.type), ['send-client', 'send-peer'])
  t.same(sent(actions), ['a'])
  t.same(sent(await h.send(tuple, sendTo('b'))), ['b'], 'afterwards data goes at once')
})

t.test('data that waited MAX_HOLD_MS is handled by tick as if just arrived: no permission yet, dropped; never sent later', async (t) => {
  const { h, tuple, drops, grant, createPermission } = await setup()
  const answer = createPermission()
  await h.send(tuple, sendTo('late'))
  h.advance(MAX_HOLD_MS - 1)
  t.same(sent(h.server.tick()), [], 'still held just before')
  h.advance(1)
  t.same(h.server.tick().filter((a) => a.type === 'drop'), [{ type: 'drop', reason: 'no-permission' }])
  await grant()
  t.same(sent(await answer), [], 'the grant does not send what was already dropped')
  h.server.flush()
  t.same(drops, ['no-permission:1'])
})

t.test(`beyond ${MAX_HELD_PACKETS} packets per allocation data is not held: handled at once`, async (t) => {
  const { h, tuple, grant, createPermission } = await setup()
  const answer = createPermission()
  for (let i = 0; i < MAX_HELD_PACKETS; i++) await h.send(tuple, sendTo(`p${i}`))
  t.same(await h.send(tuple, sendTo('one too many')), [{ type: 'drop', reason: 'no-permission' }])
  await grant()
  t.equal(sent(await answer).length, MAX_HELD_PACKETS, 'the held ones go once granted')
})
