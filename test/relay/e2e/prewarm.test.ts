import t from 'tap'
import { prewarmTurnServer } from '../../../relay/prewarm.js'

t.test('a prewarm makes and releases every allocation it is asked for', async (t) => {
  const r = prewarmTurnServer(300)
  t.equal(r.allocations, 300)
  t.ok(r.ms > 0)
})

t.test('each run has its own throwaway server: a second prewarm succeeds as the first did', async (t) => {
  t.equal(prewarmTurnServer(20).allocations, 20)
  t.equal(prewarmTurnServer(20).allocations, 20)
})

t.test('a prewarm of none does nothing', async (t) => {
  t.equal(prewarmTurnServer(0).allocations, 0)
})
