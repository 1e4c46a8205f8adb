import t from 'tap'
import { KeyBuilder } from '../../state/keys.js'
import { newMeetingId } from '../../state/meeting-id.js'

const tagOf = (key: string) => /\{([^}]*)\}/.exec(key)?.[1]

t.test('every key of one meeting shares one Cluster hash tag that names the region and the meeting', async (t) => {
  const keys = new KeyBuilder('eu-central')
  const id = newMeetingId('eu-central')
  const all = Object.values(keys.meeting(id))
  t.equal(new Set(all.map(tagOf)).size, 1)
  t.equal(tagOf(all[0]!), `eu-central:m:${id}`)
  t.equal(new Set(all).size, all.length, 'no two concerns share a key')
  for (const k of all) t.ok(k.startsWith('sr:{eu-central:'), k)
})

t.test('fleet keys share the region fleet tag', async (t) => {
  const f = new KeyBuilder('us-east').fleet()
  t.equal(tagOf(f.live), 'us-east:fleet')
  t.equal(tagOf(f.relays), 'us-east:fleet')
  t.equal(tagOf(f.drains), 'us-east:fleet', 'operator drain requests too, so the heartbeat script can read them')
})

t.test("a region's builder refuses the keys of a meeting homed elsewhere (guarantee 4)", async (t) => {
  const keys = new KeyBuilder('eu-central')
  t.throws(() => keys.meeting(newMeetingId('us-east')), { code: 'ERR_STATE_NOT_HOMED_HERE' })
  t.throws(() => keys.meeting('not-a-meeting-id'), { code: 'ERR_STATE_NOT_HOMED_HERE' })
})

t.test('channels carry the region and the prefix, and bus names are checked', async (t) => {
  const c = new KeyBuilder('eu-central', 'test42').channels()
  t.equal(c.revocations, 'test42:{eu-central}:ch:revocations')
  t.equal(c.policy, 'test42:{eu-central}:ch:policy')
  t.equal(c.bus('meeting.abc'), 'test42:{eu-central}:ch:bus:meeting.abc')
  t.throws(() => c.bus('has space'))
  t.not(new KeyBuilder('us-east', 'test42').channels().revocations, c.revocations)
})

t.test('a test prefix moves every key out of the production namespace', async (t) => {
  const id = newMeetingId('eu-central')
  for (const k of [...Object.values(new KeyBuilder('eu-central', 'p1').meeting(id)), ...Object.values(new KeyBuilder('eu-central', 'p1').fleet())]) {
    t.ok(k.startsWith('p1:{eu-central'), k)
  }
  t.throws(() => new KeyBuilder('eu-central', 'bad prefix'))
  t.throws(() => new KeyBuilder('EU'))
})

t.test("the region's meeting index and decision feed carry the region, each under its own tag", async (t) => {
  const v = new KeyBuilder('eu-central', 'test42').regionViews()
  t.equal(v.meetings, 'test42:{eu-central:index}:meetings')
  t.equal(v.decisions, 'test42:{eu-central:feed}:decisions')
  t.notOk([v.meetings, v.decisions].some((k) => tagOf(k)?.includes(':m:')), "outside every meeting's tag: region-wide, not one meeting's")
  t.ok([v.meetings, v.decisions].every((k) => k.startsWith('test42:{eu-central')), 'found by the region pattern (everything())')
  t.not(new KeyBuilder('us-east', 'test42').regionViews().decisions, v.decisions)
})

t.test('wrong-passcode counters live in the meeting\'s hash slot, one per participant and one per meeting', async (t) => {
  const keys = new KeyBuilder('eu-central')
  const id = newMeetingId('eu-central')
  const k = keys.passcodeAttempts(id, 'p_abc-DEF_1')
  t.equal(tagOf(k.identity), `eu-central:m:${id}`)
  t.equal(tagOf(k.meeting), `eu-central:m:${id}`)
  t.not(k.identity, keys.passcodeAttempts(id, 'p_other').identity)
  t.notOk(Object.values(keys.meeting(id)).includes(k.meeting), 'no other concern shares them')
  t.throws(() => keys.passcodeAttempts(id, 'has space'), TypeError)
  t.throws(() => keys.passcodeAttempts(newMeetingId('us-east'), 'p_abc'), { code: 'ERR_STATE_NOT_HOMED_HERE' })
})
