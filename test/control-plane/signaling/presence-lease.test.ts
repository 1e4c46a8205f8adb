/**
 * Issue 9, item 13: ghost seats. A control-plane node holding participants is SIGKILLed
 * (no cleanup at all). A participant who never comes back leaves once its presence lease
 * runs out, and the others get `participant-left`; one who reconnects to another node
 * within the lease is not a new `participant-joined` and does not leave. Real Redis, the
 * killed node in a process of its own, a short lease.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import t from 'tap'

import { SignalClient } from '../../../control-plane/client/signal-client.js'
import { CLOSE_CODES } from '../../../control-plane/protocol/error-codes.js'
import { participantIdFor } from '../../../control-plane/services/participant-id.js'
import { dropPrefix, network } from '../app/fixture.js'
import { bounded, next, socketFrom, startNode, type Node } from './support.js'

const LEASE_MS = 1_000
const RENEW_MS = 200
const net = network()
const acme = net.config.tenantById('acme')!
const DE = socketFrom('127.1.0.51')
const script = fileURLToPath(new URL('./node-process.ts', import.meta.url))
const dir = await mkdtemp(join(tmpdir(), 'sovereign-presence-'))
let survivor: Node
let child: ChildProcess | undefined
const clients: SignalClient[] = []

t.before(async () => {
  survivor = await startNode(net, 'eu-central', 'eu-cp-survivor', { presence: { leaseMs: LEASE_MS, renewMs: RENEW_MS } })
})
t.teardown(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  await Promise.all(clients.map((c) => c.close()))
  await dropPrefix(survivor.state, net.prefix)
  await survivor.close()
  await rm(dir, { recursive: true, force: true })
})

async function startChild(nodeId: string): Promise<{ process: ChildProcess; url: string }> {
  const path = join(dir, 'network.yaml')
  await writeFile(path, net.text)
  const p = spawn(process.execPath, ['--import=tsx', script, path, net.prefix, nodeId, String(LEASE_MS), String(RENEW_MS)], { stdio: ['ignore', 'pipe', 'inherit'] })
  const [line] = (await bounded(once(p.stdout!, 'data'), 'the node process starting', 30_000)) as [Buffer]
  const m = /^ready (\S+)/.exec(line.toString())
  if (!m) throw new Error(`node process said ${line.toString()}`)
  return { process: p, url: m[1]! }
}

/** No automatic reconnect: the test itself decides who comes back after a node dies. */
function connect(url: string, token: string): SignalClient {
  const c = SignalClient.connect(url, { WebSocket: DE, token, reconnect: false })
  clients.push(c)
  return c
}

/** The presence leases of `participantId` in the region's Redis: [session, lease end ms]. */
async function leasesOf(participantId: string): Promise<Array<[string, number]>> {
  const flat = await survivor.state.connection!.command.zrange(survivor.state.keys.presence(), '0', '-1', 'WITHSCORES')
  const out: Array<[string, number]> = []
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const [, pid, session] = flat[i]!.split(' ')
    if (pid === participantId) out.push([session!, Number(flat[i + 1])])
  }
  return out
}

/** Resolves once `check` holds (polled every 50 ms), or fails naming `what` after `ms`. */
async function until(what: string, check: () => Promise<boolean>, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

t.test('when the node holding two participants is killed, the one who never comes back leaves after its lease; the one who reconnects at once is no new arrival', async (t) => {
  const meeting = await survivor.app.sovereign.meetings.create(acme, { passcodeRequired: false, waitingRoom: false })
  const mint = async (identity: string, role: 'host' | 'attendee') => (await survivor.app.sovereign.meetings.mintToken(meeting.id, acme, { identity, role })).token
  const ann = participantIdFor(meeting.id, 'ann')
  const bo = participantIdFor(meeting.id, 'bo')
  const host = connect(survivor.url, await mint('hana', 'host'))
  t.equal((await bounded(host.joined, 'host joined')).kind, 'welcome')
  const joined: string[] = []
  const left: Array<{ id: string; at: number }> = []
  host.on('participant-joined', (p) => joined.push(p.participantId))
  host.on('participant-left', (id) => left.push({ id, at: Date.now() }))

  const doomed = await startChild('eu-cp-doomed')
  child = doomed.process
  const boToken = await mint('bo', 'attendee')
  const annOnDoomed = connect(doomed.url, await mint('ann', 'attendee'))
  const boOnDoomed = connect(doomed.url, boToken)
  t.equal((await bounded(annOnDoomed.joined, 'ann joined')).kind, 'welcome')
  t.equal((await bounded(boOnDoomed.joined, 'bo joined')).kind, 'welcome')
  await until('the host saw both arrive', async () => joined.includes(ann) && joined.includes(bo))
  t.equal((await leasesOf(ann)).length, 1, "ann's node holds a lease for her")

  // No cleanup at all: the sockets drop, nothing leaves, nothing is released.
  const annGone = next(annOnDoomed, 'close', () => true, 5_000)
  const exited = once(doomed.process, 'exit')
  doomed.process.kill('SIGKILL')
  const killedAt = Date.now()
  await exited
  await annGone
  const lastRenewal = (await leasesOf(ann))[0]![1] - LEASE_MS
  // bo comes back at once, on the surviving node.
  const boBack = connect(survivor.url, boToken)
  t.equal((await bounded(boBack.joined, 'bo back')).kind, 'welcome', 'bo reconnects within the lease')

  const annLeft = await bounded(next(host, 'participant-left', (id) => id === ann, 10_000), 'participant-left for ann')
  const after = Date.now() - lastRenewal
  t.equal(annLeft[0], ann, 'the host is told ann left')
  t.ok(after <= LEASE_MS + 4 * RENEW_MS + 500, `about one lease after her node's last renewal (${after} ms; lease ${LEASE_MS} ms, killed ${Date.now() - killedAt} ms ago)`)
  t.equal((await survivor.state.meetings.getParticipant(meeting.id, ann))?.status, 'left', 'ann is no longer admitted')

  // bo's old lease runs out too, and is settled without touching the newer session.
  await until("bo's lease of the killed node settled", async () => (await leasesOf(bo)).length === 1 && (await leasesOf(bo))[0]![1] > Date.now())
  await host.ping()
  t.same(joined.filter((id) => id === bo), [bo], 'bo arrived once: the reconnect is no new participant-joined')
  t.same(left.map((l) => l.id), [ann], 'only ann left; bo did not')
  t.equal((await survivor.state.meetings.getParticipant(meeting.id, bo))?.status, 'admitted', 'bo is admitted on its new socket')
  t.equal((await leasesOf(ann)).length, 0, "nothing of ann's lease is left behind")
})

t.test("a socket whose seat the region let go (its lease settled elsewhere while its node was cut off) is ended, not kept speaking for no one", async (t) => {
  const meeting = await survivor.app.sovereign.meetings.create(acme, { passcodeRequired: false, waitingRoom: false })
  const mint = async (identity: string, role: 'host' | 'attendee') => (await survivor.app.sovereign.meetings.mintToken(meeting.id, acme, { identity, role })).token
  const host = connect(survivor.url, await mint('hana', 'host'))
  t.equal((await bounded(host.joined, 'host joined')).kind, 'welcome')
  // After the host's welcome: an attendee arriving first would wait for the host.
  const cy = connect(survivor.url, await mint('cy', 'attendee'))
  t.equal((await bounded(cy.joined, 'cy joined')).kind, 'welcome')
  const cyId = participantIdFor(meeting.id, 'cy')
  const session = (await survivor.state.meetings.getParticipant(meeting.id, cyId))?.session
  t.type(session, 'string', 'the store names the session holding cy')
  const closed = next(cy, 'close', () => true, 5_000)
  const left = next(host, 'participant-left', (id) => id === cyId, 5_000)
  // What another node does with a lease that ran out: the leave names the session whose lease it was.
  await survivor.app.sovereign.meetings.leave(meeting.id, cyId, session!)
  t.equal((await closed)[0].code, CLOSE_CODES.presenceLost, 'the socket is ended with 4025 (presence lost), so its client reconnects')
  await left
  t.pass('and the others are told cy left')
})
