import t from 'tap'

import { MessageClass, Method } from '../../../relay/proto/index.js'
import { harness, udpTuple } from '../../support/server-harness.js'
import { errorCodeOf, peerAttr, request } from '../../support/stun-builder.js'

const TXN = Buffer.alloc(12, 5)

t.test('revoking a participant drops exactly its allocations, revoking a meeting drops all of the meeting', async (t) => {
  const h = harness()
  const causes: string[] = []
  h.server.events.on('allocation-deleted', (_i, cause) => causes.push(cause))
  const users = [['m1', 'alice', 1], ['m1', 'alice', 2], ['m1', 'bob', 3], ['m2', 'carol', 4]] as const
  for (const [m, p, port] of users) await h.allocate(udpTuple(port), await h.login(udpTuple(port), h.credential(m, p)))
  t.equal(h.server.table.size, 4)
  const closed = h.server.revoke({ meetingId: 'm1', participantId: 'alice' })
  t.equal(closed.filter((a) => a.type === 'close-relay').length, 2)
  t.same([...h.server.table.values()].map((a) => a.identity.participantId).sort(), ['bob', 'carol'])
  h.server.revoke({ meetingId: 'm1' })
  t.same([...h.server.table.values()].map((a) => a.identity.participantId), ['carol'])
  t.same(causes, ['revoked', 'revoked', 'revoked'])
})

t.test('a draining server refuses new allocations but existing ones keep refreshing and relaying', async (t) => {
  const h = harness()
  const tuple = udpTuple(1)
  const cred = await h.login(tuple)
  await h.allocate(tuple, cred)
  await h.ask(tuple, request(Method.CreatePermission, [peerAttr('198.51.100.7', 1, TXN)], cred, TXN))
  h.server.drain()
  t.equal(errorCodeOf(await h.allocate(udpTuple(2), cred)), 508)
  t.equal((await h.ask(tuple, request(Method.Refresh, [], cred))).cls, MessageClass.SuccessResponse)
  t.ok(Buffer.isBuffer(h.server.fromPeer([...h.server.table.values()][0]!, '198.51.100.7', 1, Buffer.from('x'))))
})

t.test('close() deletes everything, is idempotent, and later packets are dropped', async (t) => {
  const h = harness()
  const tuple = udpTuple(1)
  await h.allocate(tuple, await h.login(tuple))
  t.equal(h.server.close().filter((a) => a.type === 'close-relay').length, 1)
  t.same(h.server.close(), [])
  t.same((await h.send(tuple, request(Method.Binding))).map((a) => a.type), ['drop'])
})

t.test('a TCP connection closing deletes its allocation', async (t) => {
  const h = harness()
  const tuple = udpTuple(1, '192.0.2.1', 'tcp')
  await h.allocate(tuple, await h.login(tuple))
  t.equal(h.server.clientClosed(tuple).length, 1)
  t.equal(h.server.table.size, 0)
})

t.test('garbage, truncated messages, responses and unknown methods are dropped or answered 400, never thrown', async (t) => {
  const h = harness()
  const tuple = udpTuple(1)
  const reasons = async (buf: Buffer): Promise<string[]> => (await h.send(tuple, buf)).map((a) => (a.type === 'drop' ? a.reason : a.type))
  t.same(await reasons(Buffer.from([0xff, 0xff, 0xff])), ['not-stun'])
  t.same(await reasons(Buffer.alloc(0)), ['malformed'])
  t.same(await reasons(request(Method.Binding).subarray(0, 25)), ['malformed'])
  t.same(await reasons(Buffer.from([0x40, 0x00, 0x00, 0x10, 1, 2])), ['no-allocation'])
  const response = request(Method.Binding)
  response[0] = 0x01 // success class
  t.same(await reasons(response), ['bad-fingerprint'], 'a tampered message fails its fingerprint')
  const unknown = await h.ask(tuple, request(0x0fff))
  t.equal(errorCodeOf(unknown), 400)
  const fuzz = (seed: number): Buffer => {
    const b = request(Method.Allocate)
    for (let i = 0; i < 6; i++) {
      const at = (seed * 7 + i * 13) % b.length
      b[at] = b[at]! ^ ((seed + i) & 0xff)
    }
    return b
  }
  for (let s = 0; s < 200; s++) await h.send(tuple, fuzz(s))
  t.pass('200 mutated Allocates did not throw')
})
