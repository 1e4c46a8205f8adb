/**
 * The region's meeting index is kept by the meeting service: a meeting created through
 * the API is listed while it runs, and an ended one stays listed only for the retention.
 * Real Redis, unique prefix.
 */
import t from 'tap'

import { DEFAULT_INDEX_RETENTION_MS } from '../../../state/meeting-index.js'
import { bearer, dropPrefix, network, startRegion } from '../app/fixture.js'

const net = network()
const eu = await startRegion(net, 'eu-central')
t.teardown(async () => {
  await dropPrefix(eu.state, net.prefix)
  await eu.close()
})

t.test('a meeting created through the API is listed while it runs, and for the retention after it ends', async (t) => {
  const created = await eu.app.inject({ method: 'POST', url: '/v1/meetings', headers: bearer(net.keys.acme), payload: { title: 'indexed' } })
  t.equal(created.statusCode, 201)
  const id = created.json().id as string
  t.same((await eu.state.meetingIndex.list()).filter((m) => m.meetingId === id), [{ meetingId: id }], 'running: listed, no expiry')
  const ended = await eu.app.inject({ method: 'POST', url: `/v1/meetings/${id}/end`, headers: bearer(net.keys.acme) })
  t.equal(ended.statusCode, 200)
  const endedAt = Date.parse(ended.json().endedAt as string)
  const entry = (await eu.state.meetingIndex.list()).find((m) => m.meetingId === id)
  t.equal(entry?.expiresAt, endedAt + DEFAULT_INDEX_RETENTION_MS, 'ended: listed until its retention runs out')
})

t.test("another region's meeting never enters this region's index", async (t) => {
  const redirected = await eu.app.inject({ method: 'POST', url: '/v1/meetings', headers: bearer(net.keys.acme), payload: { region: 'us-east' } })
  t.equal(redirected.statusCode, 307)
  t.ok((await eu.state.meetingIndex.list()).every((m) => m.meetingId.startsWith('eu-central.')))
})
