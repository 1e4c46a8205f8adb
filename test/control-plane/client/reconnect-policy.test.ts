import t from 'tap'

import { reconnectDelay, shouldReconnect } from '../../../control-plane/client/reconnect-policy.js'

t.test('delays double from the initial delay up to the cap, half fixed and half jitter', async (t) => {
  const top = { initialDelayMs: 100, maxDelayMs: 1000, random: () => 0.999999 }
  const bottom = { ...top, random: () => 0 }
  t.same([1, 2, 3, 4, 5, 6].map((a) => reconnectDelay(a, top)), [100, 200, 400, 800, 1000, 1000])
  t.same([1, 2, 3, 4, 5, 6].map((a) => reconnectDelay(a, bottom)), [50, 100, 200, 400, 500, 500])
})

t.test('the defaults start at 250 ms and stop growing at 10 s', async (t) => {
  t.equal(reconnectDelay(1, { random: () => 0.999999 }), 250)
  t.equal(reconnectDelay(40, { random: () => 0.999999 }), 10_000, 'no overflow on a long outage')
})

t.test('connection and node failures are retried; server decisions are final', async (t) => {
  for (const code of [1001, 1006, 1011, 1012, 1013, 1014, 4019, 4022, 4025, 4500]) t.ok(shouldReconnect(code), `${code} is retried`)
  for (const code of [1000, 4000, 4001, 4002, 4008, 4009, 4010, 4011, 4012, 4013, 4015, 4020, 4021, 4023, 4024]) t.notOk(shouldReconnect(code), `${code} is final`)
})
