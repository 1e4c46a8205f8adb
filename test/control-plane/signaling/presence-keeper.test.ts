/**
 * The presence keeper's rounds: renew this node's leases, then settle the region's
 * expired ones; rounds never overlap; a failing round is logged, and after one nothing is
 * settled for a lease (an outage would make every lease look run out); after close nothing
 * more happens. The meeting service is a recording stand-in
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

t.test('a failed renewal is logged, and that round settles nothing', async (t) => {
  const r = recorder({ failRenew: true })
  const logged: string[] = []
  const keeper = new PresenceKeeper({ leaseMs: 1_000, renewMs: 200, held, meetings: r.meetings, log: (_err, message) => logged.push(message) })
  await keeper.tick()
  t.same(logged, ['presence renewal'])
  t.same(r.calls, ['renew s1 for 1000'])
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

t.test('after a round that could not reach the state, nothing is settled for one lease, so live nodes can renew theirs first', async (t) => {
  let clock = 0
  let down = true
  const calls: string[] = []
  const meetings = {
    async renewPresence() {
      calls.push(`renew at ${clock}`)
      if (down) throw new Error('redis down')
    },
    async settleExpiredPresence() {
      calls.push(`settle at ${clock}`)
      return 0
    },
  }
  const keeper = new PresenceKeeper({ leaseMs: 1_000, renewMs: 200, held, meetings, log: () => undefined, now: () => clock })
  await keeper.tick()
  t.same(calls, ['renew at 0'], 'a failed renewal settles nothing')
  down = false
  clock = 200
  await keeper.tick()
  clock = 1_000
  await keeper.tick()
  t.same(calls, ['renew at 0', 'renew at 200', 'renew at 1000'], 'for one lease after the state came back, only renewals')
  clock = 1_200
  await keeper.tick()
  t.same(calls.slice(3), ['renew at 1200', 'settle at 1200'], 'then settling resumes')
})
