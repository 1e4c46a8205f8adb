/**
 * A stand-in relay process for fleet tests: registers in a region's fleet and heartbeats
 * until killed; on SIGTERM it stops and deregisters (clean shutdown).
 * argv: <redisUrl> <prefix> <relayId> <intervalMs> <ttlMs>
 */
import { openRegionState } from '../../../state/region-state.js'
import { startHeartbeat } from '../../../state/heartbeat.js'

const [url, prefix, id, intervalMs, ttlMs] = process.argv.slice(2) as [string, string, string, string, string]
const state = openRegionState({ region: 'eu-central', redis: { url }, prefix })
await state.ready()
const startedAt = Date.now()
const loop = startHeartbeat({
  fleet: state.fleet,
  intervalMs: Number(intervalMs),
  ttlMs: Number(ttlMs),
  onError: (err) => process.stderr.write(`heartbeat failed: ${String(err)}\n`),
  beat: () => ({
    id, region: 'eu-central', udp: ['127.0.0.1:3478'], tcp: ['127.0.0.1:3478'], capacity: 100, version: 'test',
    startedAt, load: { allocations: 0, packetsPerSecond: 0, bytesPerSecond: 0, cpu: 0 }, draining: false, sentAt: Date.now(),
  }),
})
await loop.beatNow()
process.stdout.write('ready\n')
process.on('SIGTERM', () => {
  void loop.stop({ deregister: true }).then(() => state.close()).then(() => process.exit(0))
})
// keep the process alive (the heartbeat timer is unref'd)
setInterval(() => {}, 1 << 30)
