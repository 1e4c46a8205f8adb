/**
 * The presence keeper's rounds: renew this node's leases, then settle the region's
 * expired ones; rounds never overlap; a failing renewal is logged and does not stop the
 * settling; after close nothing more happens. The meeting service is a recording stand-in
 * (what renewing and settling mean is tested in state conformance and presence-lease.test.ts).
 */
import t from 'tap'

import { PresenceKeeper } from '../../../control-plane/signaling/presence-keeper.js'
import type { PresenceLease } from '../../../state/presence.js'

function recorder(options: { failRenew?: boolean } = {}) {
  const calls: string[] = []
  let release: (() => void) | undefined
  const meetings = {
    async renewPresence(leases: readonly PresenceLease[], leaseMs: number) {
      calls.push(`renew ${leases.map((l) => l.session).join(',')} for ${leaseMs}`)
      if (options.failRenew) throw new Error('redis down')
    },
    async settleExpiredPresence(claimMs: number) {
      calls.push(`settle claiming ${claimMs}`)
      await new Promise<void>((r) => (release = r))
      return 0
    },
  }
  return { calls, meetings, settleDone: () => release?.() }
}

const held = (): PresenceLease[] => [{ meetingId: 'eu-central.0123456789abcdefghjkmnpqrs', participantId: 'p_a', session: 's1' }]

t.test('a round renews the held leases for one lease, then settles expired ones; a second round waits for the first', async (t) => {
  const r = recorder()
  const keeper = new PresenceKeeper({ leaseMs: 15_000, renewMs: 5_000, held, meetings: r.meetings, log: () => t.fail('nothing fails') })
  const first = keeper.tick()
  const second = keeper.tick()
  t.equal(first, second, 'a tick during a round joins that round')
  await new Promise((r) => setImmediate(r))
  t.same(r.calls, ['renew s1 for 15000', 'settle claiming 15000'])
  r.settleDone()
  await first
  const third = keeper.tick()
  t.not(third, first, 'the next tick is a new round')
  await new Promise((r) => setImmediate(r))
  r.settleDone()
  await third
  t.equal(r.calls.length, 4)
  await keeper.close()
})

t.test('a failed renewal is logged and the round still settles', async (t) => {
  const r = recorder({ failRenew: true })
  const logged: string[] = []
  const keeper = new PresenceKeeper({ leaseMs: 1_000, renewMs: 200, held, meetings: r.meetings, log: (_err, message) => logged.push(message) })
  const round = keeper.tick()
  await new Promise((r) => setImmediate(r))
  r.settleDone()
  await round
  t.same(logged, ['presence renewal'])
  t.same(r.calls, ['renew s1 for 1000', 'settle claiming 1000'])
  await keeper.close()
})

t.test('the renewal period is at most half the lease, so one lost renewal does not drop anyone', async (t) => {
  const r = recorder()
  t.equal(new PresenceKeeper({ leaseMs: 1_000, renewMs: 5_000, held, meetings: r.meetings, log: () => undefined }).renewMs, 500)
  t.equal(new PresenceKeeper({ leaseMs: 15_000, renewMs: 5_000, held, meetings: r.meetings, log: () => undefined }).renewMs, 5_000)
})

t.test('after close a tick does nothing', async (t) => {
  const r = recorder()
  const keeper = new PresenceKeeper({ leaseMs: 1_000, renewMs: 200, held, meetings: r.meetings, log: () => undefined })
  keeper.start()
  await keeper.close()
  await keeper.tick()
  t.same(r.calls, [])
})
