import t from 'tap'

import { Rounds } from '../../../control-plane/signaling/rounds.js'

t.test('a round asked for while one is under way joins it instead of starting another', async (t) => {
  let started = 0
  let finish!: () => void
  const rounds = new Rounds(1000, () => { started++; return new Promise<void>((resolve) => { finish = resolve }) })
  const a = rounds.tick()
  const b = rounds.tick()
  t.equal(a, b, 'the same round')
  t.equal(started, 1)
  finish()
  await a
  void rounds.tick()
  t.equal(started, 2, 'once it ended, the next tick starts a new round')
  finish()
  await rounds.close()
})

t.test('close waits for the round under way', async (t) => {
  let finish!: () => void
  let ended = false
  const rounds = new Rounds(10, () => new Promise<void>((resolve) => { finish = () => { ended = true; resolve() } }))
  void rounds.tick()
  const closed = rounds.close()
  t.ok(rounds.closed)
  t.notOk(ended, 'still running')
  finish()
  await closed
  t.ok(ended, 'close resolved only after the round ended')
})
