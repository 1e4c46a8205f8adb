/**
 * Passcode guessing over the real wire (issue 9, item 4): two control-plane nodes of one
 * region on the test Redis (unique prefix). Wrong passcodes on either node count
 * together; past the free ones the next join is denied SR_PASSCODE_ATTEMPTS with a
 * retry hint and closed 4023. A passcode under the region's minimum is a coded 422.
 */
import t from 'tap'
import WebSocket from 'ws'

import { SUBPROTOCOL } from '../../../control-plane/protocol/version.js'
import { bearer, dropPrefix, network } from '../app/fixture.js'
import { startNode, type Node } from './support.js'

// A minute's backoff after the free tries, so a slow machine cannot outwait it mid-test.
const base = network()
const eu = base.config.regionById('eu-central')!
const slow = { ...eu, controlPlane: { ...eu.controlPlane, passcodes: { ...eu.controlPlane.passcodes, backoffSeconds: 60 } } }
const net = { ...base, config: { ...base.config, regionById: (id: string) => (id === 'eu-central' ? slow : base.config.regionById(id)) } }
const nodes: Node[] = [await startNode(net, 'eu-central', 'cp-a'), await startNode(net, 'eu-central', 'cp-b')]
t.teardown(async () => {
  await dropPrefix(nodes[0]!.state, net.prefix)
  for (const n of nodes) await n.close()
})

interface Answer { readonly messages: Array<{ type: string; code?: string; retryAfterSeconds?: number }>; readonly close: number }

/** A join over a real socket: what the server said, and the close code (a welcome is closed by us with 1000). */
function join(node: Node, token: string, passcode: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(node.url, SUBPROTOCOL, { localAddress: '127.1.0.20' })
    const messages: Answer['messages'] = []
    ws.on('open', () => ws.send(JSON.stringify({ type: 'join', id: 'j1', token, passcode })))
    ws.on('message', (data) => {
      messages.push(JSON.parse(String(data)) as Answer['messages'][number])
      if (messages.at(-1)!.type === 'welcome') ws.close(1000)
    })
    ws.on('close', (close) => resolve({ messages, close }))
    ws.on('error', reject)
  })
}

async function post(path: string, body: unknown): Promise<{ status: number; body: { code?: string; id?: string; token?: string } }> {
  const res = await nodes[0]!.app.inject({ method: 'POST', url: path, headers: bearer(net.keys.acme), payload: body as object })
  return { status: res.statusCode, body: res.json() }
}

t.test('a passcode shorter than the region allows is refused with 422 SR_PASSCODE_TOO_WEAK', async (t) => {
  const weak = await post('/v1/meetings', { passcode: '4242' })
  t.equal(weak.status, 422)
  t.equal(weak.body.code, 'SR_PASSCODE_TOO_WEAK')
})

t.test('wrong passcodes on any node of the region count together; then the join is denied with a retry hint and close 4023', async (t) => {
  const meeting = await post('/v1/meetings', { passcode: 'correct-horse', joinBeforeHost: true })
  t.equal(meeting.status, 201)
  const { token } = (await post(`/v1/meetings/${meeting.body.id}/tokens`, { identity: 'mallory', role: 'attendee' })).body
  for (const [i, node] of [nodes[0]!, nodes[1]!, nodes[0]!].entries()) {
    const wrong = await join(node, token!, `guess-${i}`)
    t.same([wrong.messages.map((m) => `${m.type}:${m.code}`), wrong.close], [['denied:SR_PASSCODE_WRONG'], 4002], `wrong passcode ${i + 1}`)
  }
  const held = await join(nodes[1]!, token!, 'correct-horse')
  t.same(held.messages.map((m) => `${m.type}:${m.code}`), ['denied:SR_PASSCODE_ATTEMPTS'], 'even the right passcode must wait')
  const hint = held.messages[0]!.retryAfterSeconds ?? 0
  t.ok(hint > 0 && hint <= 60, `with a retry hint (${hint} s)`)
  t.equal(held.close, 4023, 'and its own close code')
})
