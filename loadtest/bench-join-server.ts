/**
 * The processes the join benchmark drives, each started as its own Node process:
 *
 *   cp   a real control-plane node (control-plane/node.ts) on a free loopback port, with
 *        the region's real Redis under a key prefix; this process also registers a few
 *        relays in the region's fleet (heartbeat entries with loopback addresses) and
 *        creates the meetings the generator joins (no passcode, no waiting room).
 *   ref  a bare fastify server with one WebSocket route that answers the first message
 *        with one small JSON message, and one trivial HTTP route.
 *
 * Usage: bench-join-server.ts cp <configPath> <region> <tenantId> <prefix> <meetings>
 *        bench-join-server.ts ref
 * Reports `{ url, meetingIds }` to the parent over IPC, then runs until SIGTERM.
 */
import fastify from 'fastify'
import websocket from '@fastify/websocket'

import { startControlPlaneNode } from '../control-plane/node.js'
import { openRegionState } from '../state/region-state.js'

export interface ServerReady {
  readonly url: string
  readonly meetingIds: readonly string[]
}

const RELAYS = 3

async function startCp(configPath: string, region: string, tenantId: string, prefix: string, meetings: number): Promise<void> {
  const node = await startControlPlaneNode({ configPath, region, listen: '127.0.0.1:0', prefix, logger: false, env: {} })
  await node.subscribed
  const config = node.config()
  const fleetState = openRegionState({ region, redis: config.regionById(region)!.redis, prefix })
  await fleetState.ready()
  const beat = async () => {
    for (let i = 0; i < RELAYS; i++) {
      await fleetState.fleet.heartbeat({
        id: `bench-relay-${i}`, region, udp: [`127.0.0.1:${34780 + i}`], tcp: [`127.0.0.1:${34790 + i}`], capacity: 1_000_000, version: 'bench', startedAt: Date.now(),
        load: { allocations: i, packetsPerSecond: 0, bytesPerSecond: 0, cpu: 0.1 * i }, draining: false, sentAt: Date.now(),
      }, 60_000)
    }
  }
  await beat()
  const beating = setInterval(() => { beat().catch(() => undefined) }, 10_000)
  const tenant = config.tenantById(tenantId)!
  const meetingIds: string[] = []
  for (let i = 0; i < meetings; i++) {
    const meeting = await node.app.sovereign.meetings.create(tenant, { waitingRoom: false, passcodeRequired: false, joinBeforeHost: true, capacity: 10_000 })
    meetingIds.push(meeting.id)
  }
  const ready: ServerReady = { url: node.url, meetingIds }
  process.send!(ready)
  process.once('SIGTERM', () => {
    clearInterval(beating)
    void (async () => {
      await Promise.all(Array.from({ length: RELAYS }, (_, i) => fleetState.fleet.deregister(`bench-relay-${i}`)))
      await fleetState.close()
      await node.close()
      process.exit(0)
    })()
  })
}

async function startRef(): Promise<void> {
  const app = fastify({ logger: false })
  await app.register(websocket)
  app.get('/ref/http', async () => ({ ok: true }))
  app.register(async (scope) => {
    scope.get('/ref/ws', { websocket: true }, (socket) => {
      socket.once('message', (data) => {
        const text = String(data)
        socket.send(JSON.stringify({ type: 'welcome', bytes: text.length, iceServers: [{ urls: ['turn:127.0.0.1:3478?transport=udp'] }] }))
      })
    })
  })
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  const ready: ServerReady = { url, meetingIds: [] }
  process.send!(ready)
  process.once('SIGTERM', () => { void app.close().then(() => process.exit(0)) })
}

const [mode, ...rest] = process.argv.slice(2)
if (mode === 'cp') {
  const [configPath, region, tenantId, prefix, meetings] = rest
  await startCp(configPath!, region!, tenantId!, prefix!, Number(meetings))
} else if (mode === 'ref') {
  await startRef()
} else {
  console.error('usage: bench-join-server.ts cp <config> <region> <tenant> <prefix> <meetings> | ref')
  process.exit(2)
}
