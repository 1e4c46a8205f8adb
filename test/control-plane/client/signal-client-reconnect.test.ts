/**
 * The client's reconnect against real control-plane nodes of one region sharing Redis:
 * after a node drops the socket, and after a node dies (SIGKILL, behind a TCP balancer
 * that sends new connections to the surviving node), the client comes back as the same
 * participant, keeps its seat (no waiting room again) and its session carries on.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { writeFile, rm } from 'node:fs/promises'
import { createConnection, createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import t from 'tap'

import { SignalClient } from '../../../control-plane/client/signal-client.js'
import { dropPrefix, network } from '../app/fixture.js'
import { next, socketFrom, startNode, type Node } from '../signaling/support.js'

const net = network()
const acme = net.config.tenantById('acme')!
const DE = socketFrom('127.1.0.7')
const fast = { initialDelayMs: 20, maxDelayMs: 200 }
let eu1: Node
let eu2: Node
const clients: SignalClient[] = []

t.before(async () => {
  eu1 = await startNode(net, 'eu-central', 'eu-cp-1')
  eu2 = await startNode(net, 'eu-central', 'eu-cp-2')
})

t.teardown(async () => {
  await Promise.all(clients.map((c) => c.close()))
  await dropPrefix(eu1.state, net.prefix)
  await Promise.all([eu1.close(), eu2.close()])
})

function connect(url: string, token: string): SignalClient {
  const client = SignalClient.connect(url, { WebSocket: DE, token, reconnect: fast })
  clients.push(client)
  return client
}

async function mint(meetingId: string, identity: string, role: 'host' | 'attendee' = 'attendee'): Promise<string> {
  return (await eu1.app.sovereign.meetings.mintToken(meetingId, acme, { identity, role, displayName: identity })).token
}

t.test('a node drops the socket: the client reconnects as the same participant and signals flow again', async (t) => {
  const meeting = await eu1.app.sovereign.meetings.create(acme, { waitingRoom: false, passcodeRequired: false })
  const host = connect(eu2.url, await mint(meeting.id, 'hedy', 'host'))
  t.equal((await host.joined).kind, 'welcome')
  const ada = connect(eu1.url, await mint(meeting.id, 'ada'))
  const first = await ada.joined
  if (first.kind !== 'welcome') return t.fail(`ada not welcomed: ${first.kind}`)

  const reconnecting = next(ada, 'reconnecting')
  const reconnected = next(ada, 'reconnected')
  for (const socket of eu1.app.websocketServer.clients) socket.terminate()
  t.equal((await reconnecting)[0].code, 1006)
  const [welcome] = await reconnected
  t.equal(welcome.participantId, first.welcome.participantId, 'the same participant id')
  t.equal(welcome.meeting.id, meeting.id, 'welcomed back into the same meeting')

  const got = next(ada, 'signal')
  host.offer(welcome.participantId, 'v=0\r\n')
  t.equal((await got)[0].from, host.participantId, 'a signal from the host reaches the resumed session')
})

/** A TCP balancer in front of a region's nodes: each connection goes to the first backend that accepts it. */
async function balancer(backends: () => number[]): Promise<{ server: Server; port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>()
  const server = createServer((inbound) => {
    sockets.add(inbound)
    inbound.on('close', () => sockets.delete(inbound))
    inbound.pause()
    const tryNext = (ports: number[]): void => {
      const [port, ...rest] = ports
      if (port === undefined) return void inbound.destroy()
      const outbound = createConnection({ host: '127.0.0.1', port })
      let connected = false
      // Refused (the node is dead): the next backend; broken later: the client's connection goes with it.
      outbound.once('error', () => (connected ? inbound.destroy() : tryNext(rest)))
      outbound.once('connect', () => {
        connected = true
        inbound.pipe(outbound).pipe(inbound)
        inbound.resume()
        outbound.on('close', () => inbound.destroy())
        inbound.on('close', () => outbound.destroy())
      })
    }
    tryNext(backends())
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { server, port: (server.address() as { port: number }).port, sockets }
}

t.test('a node dies (SIGKILL): the client reconnects through the balancer to the surviving node and keeps its seat past the waiting room', async (t) => {
  const configPath = join(tmpdir(), `sovereign-${net.prefix}.yaml`)
  await writeFile(configPath, net.text)
  t.teardown(() => rm(configPath, { force: true }))
  const script = fileURLToPath(new URL('./support/node-process.ts', import.meta.url))
  const child: ChildProcess = spawn(process.execPath, ['--import=tsx', script, configPath, net.prefix, 'eu-central', 'eu-cp-doomed'], { stdio: ['ignore', 'pipe', 'inherit'] })
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  const [line] = (await once(child.stdout!, 'data')) as [Buffer]
  const doomedPort = Number(/ready ws:\/\/127\.0\.0\.1:(\d+)\//.exec(line.toString())?.[1])
  t.ok(doomedPort > 0, 'the doomed node listens')
  const eu2Port = Number(new URL(eu2.url).port)
  const lb = await balancer(() => [doomedPort, eu2Port])
  t.teardown(() => new Promise<void>((resolve) => { for (const s of lb.sockets) s.destroy(); lb.server.close(() => resolve()) }))
  const regionUrl = `ws://127.0.0.1:${lb.port}/v1/signal`

  // A waiting room: coming back must not mean waiting again.
  const meeting = await eu1.app.sovereign.meetings.create(acme, { waitingRoom: true, passcodeRequired: false })
  const host = connect(eu2.url, await mint(meeting.id, 'hanna', 'host'))
  t.equal((await host.joined).kind, 'welcome')
  const waiting = next(host, 'participant-waiting')
  const bo = connect(regionUrl, await mint(meeting.id, 'bo'))
  t.equal((await bo.joined).kind, 'waiting', 'bo waits, on the doomed node')
  const [summary] = await waiting
  const welcomed = bo.waitForWelcome()
  host.admit(summary.participantId)
  const first = await welcomed
  t.equal(first.participantId, summary.participantId)

  const reconnecting = next(bo, 'reconnecting')
  const reconnected = next(bo, 'reconnected')
  const killedAt = Date.now()
  child.kill('SIGKILL')
  await once(child, 'exit')
  const [event] = await reconnecting
  t.not(event.code, 1000, `an abnormal close (${event.code}) is retried`)
  const [welcome] = await reconnected
  t.equal(welcome.participantId, first.participantId, 'the same participant, welcomed at once: the seat was kept')
  t.comment(`back ${Date.now() - killedAt} ms after the kill`)
  t.equal(bo.reconnecting, false)

  const got = next(bo, 'signal')
  host.offer(welcome.participantId, 'v=0\r\n')
  t.equal((await got)[0].from, host.participantId, 'the session carries on through the surviving node')
})
